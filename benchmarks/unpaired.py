"""Unpaired learning benchmark: does a lexicon induced from spun pages alone restore those pages better?

For each folder of spun texts, ``learn_unpaired`` (what ``unspin learn --unpaired`` runs) induces a
lexicon from the spun texts only; then the same texts are restored with the baseline lexicons and
with the baseline plus the learned lexicon, and scored against their originals by
:func:`unspin.evaluation.metrics.evaluate` (token-level span precision and recall, ERRANT style).
Target (issue 15): recall +0.10 at precision >= 0.90.

Folders:

1. ``synthetic``: clean news texts (the seed's original 000, cut into pieces of about 1,000
   characters, the originals of the development pairs in shared/data/real-pairs and of the
   mined pairs where present) spun by
   :func:`unspin.evaluation.spin.spin_text` with half "A" of the news lexicon (as
   ``benchmarks/quality.py`` makes its held-out pairs). The baseline is the held-out one: the
   shipped lexicons with news replaced by its other half "B", so that no lexicon knows the spinner.
2. ``real``: real content-farm pages of the seed's spinner family (the spun seed 001 and the three
   development pairs' spun pages, and the mined pairs in ../mined/pairs where present; their
   originals score them only). Baseline: the shipped lexicons.

Each learned lexicon is also checked against the pairs: a learned mapping is confirmed when the
originals show it (synthetic: the spinner's own edits; real: the swaps ``unspin learn`` extracts
from the aligned pair).

Usage::

    python benchmarks/unpaired.py [--model M] [--datasets synthetic,real] [--rate R] [--rounds N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality import SEED_ORIG, SEED_SPUN, SHARED, SPIN_RATE, SPIN_SEED, split_news  # noqa: E402

from unspin.evaluation.metrics import EvaluationReport, TextPair, evaluate  # noqa: E402
from unspin.evaluation.spin import spin_text  # noqa: E402
from unspin.lexicon.format import Lexicon, shipped_lexicons  # noqa: E402
from unspin.lexicon.learn import extract_substitutions  # noqa: E402
from unspin.lexicon.unpaired import UnpairedResult, UnpairedSettings, learn_unpaired  # noqa: E402

REAL_PAIRS = SHARED / "data" / "real-pairs"
DEVELOPMENT = ("d02", "d06", "d07")
# Pairs of the same spinner family mined by a project session (outside the repository), used where present.
MINED = next((p for p in (SHARED.parent / "mined" / "pairs", Path("/work/mined/pairs")) if p.is_dir()), None)
PIECE_CHARACTERS = 1_000


@dataclass
class Folder:
    name: str
    pairs: list[TextPair]
    gold: Counter  # (spun, original) mappings the originals show
    baseline: list[str]  # lexicons (names or paths) of the baseline restorer
    made_by: str


def seed_pieces() -> list[str]:
    """The seed's original, cut at paragraph ends into pieces of about PIECE_CHARACTERS."""
    pieces, current = [], ""
    for line in (SHARED / "seeds" / SEED_ORIG).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        current += line + "\n"
        if len(current) >= PIECE_CHARACTERS:
            pieces.append(current)
            current = ""
    return pieces + ([current] if current.strip() else [])


def synthetic(directory: Path, rate: float = SPIN_RATE) -> Folder:
    half_a, half_b = split_news(directory)
    spinner = [Lexicon.load(half_a)]
    clean = [(f"seed000-{n}", text) for n, text in enumerate(seed_pieces())]
    clean += [(name, (REAL_PAIRS / f"{name}.orig.txt").read_text(encoding="utf-8")) for name in DEVELOPMENT]
    clean += [(path.name.split(".")[0], path.read_text(encoding="utf-8")) for path in mined("orig")]
    pairs, gold = [], Counter()
    for number, (name, text) in enumerate(clean):
        result = spin_text(text, spinner, rate, SPIN_SEED + number)
        pairs.append(TextPair(name, result.text, text))
        gold.update((edit.spun.lower(), edit.original.lower()) for edit in result.edits)
    others = [name for name in shipped_lexicons() if name != "news"]
    return Folder("synthetic", pairs, gold, [*others, str(half_b)],
                  f"spin_text(news-A, rate={rate}, seed={SPIN_SEED}+i) over {len(pairs)} clean texts")


def real() -> Folder:
    pairs = [TextPair("seed001", (SHARED / "seeds" / SEED_SPUN).read_text(encoding="utf-8"),
                      (SHARED / "seeds" / SEED_ORIG).read_text(encoding="utf-8"))]
    pairs += [TextPair(name, (REAL_PAIRS / f"{name}.spun.txt").read_text(encoding="utf-8"),
                       (REAL_PAIRS / f"{name}.orig.txt").read_text(encoding="utf-8")) for name in DEVELOPMENT]
    pairs += [TextPair(path.name.split(".")[0], path.read_text(encoding="utf-8"),
                       path.with_name(path.name.replace(".spun.", ".orig.")).read_text(encoding="utf-8"))
              for path in mined("spun")]
    gold = Counter(sub.key for pair in pairs for sub in extract_substitutions(pair.spun, pair.original))
    return Folder("real", pairs, gold, list(shipped_lexicons()),
                  f"content-farm pages of the seed's spinner family ({', '.join(p.name for p in pairs)})")


def mined(side: str) -> list[Path]:
    return sorted(MINED.glob(f"*.{side}.txt")) if MINED else []


def restore_all(scorer: object, lexicons: Sequence[str], texts: list[str], threshold: float | None,
                same_spinner: bool = False) -> list[str]:
    from unspin import Restorer

    options = {"threshold": threshold} if threshold is not None else {}
    restorer = Restorer(lexicons=lexicons, scorer=scorer, same_spinner=same_spinner, **options)
    return [r.text for r in restorer.restore_many(texts)]


def run_folder(folder: Folder, scorer: object, directory: Path, settings: UnpairedSettings,
               threshold: float | None, same_spinner_row: bool = False
               ) -> tuple[UnpairedResult, list[tuple[str, EvaluationReport]], dict]:
    spun = directory / folder.name
    spun.mkdir(parents=True, exist_ok=True)
    files = []
    for pair in folder.pairs:
        files.append(spun / f"{pair.name}.txt")
        files[-1].write_text(pair.spun, encoding="utf-8")
    timings = {}
    start = time.perf_counter()
    learned = learn_unpaired(files, directory / f"{folder.name}-learned.tsv", f"{folder.name}-learned",
                             lexicons=folder.baseline, scorer=scorer, settings=settings)
    timings["learn"] = time.perf_counter() - start
    reports = []
    systems = [("baseline", folder.baseline, False), ("+ learned", [*folder.baseline, str(learned.path)], False)]
    if same_spinner_row:  # the texts restored together as one spinner's, without the learned lexicon
        systems.append(("same-spinner", folder.baseline, True))
    for label, lexicons, same_spinner in systems:
        start = time.perf_counter()
        outputs = restore_all(scorer, lexicons, [p.spun for p in folder.pairs], threshold, same_spinner)
        timings[label] = time.perf_counter() - start
        scored = [TextPair(p.name, p.spun, p.original, out) for p, out in zip(folder.pairs, outputs)]
        reports.append((label, evaluate(scored, None, {"dataset": folder.name, "lexicons": lexicons})))
    return learned, reports, timings


def describe(folder: Folder, learned: UnpairedResult, reports: list[tuple[str, EvaluationReport]],
             timings: dict) -> str:
    confirmed = sum(key in folder.gold for key in learned.mappings)
    frequent = [key for key, count in folder.gold.items() if count >= 3]
    lexicon = Lexicon.load(learned.path)
    found = sum(original in [c.original for c in lexicon.candidates(spun)] for spun, original in frequent)
    lines = [f"== {folder.name}: {folder.made_by}",
             f"{len(folder.pairs)} texts, {sum(len(p.spun) for p in folder.pairs)} characters; learned "
             f"{len(learned.mappings)} mappings ({len(learned.entries)} rows), {confirmed} confirmed by the "
             f"originals; of the {len(frequent)} mappings the originals show 3+ times, {found} learned",
             f"{'system':<12}{'P':>7}{'R':>7}{'F0.5':>7}{'overcorr':>9}{'err-red':>9}{'gold':>6}{'seconds':>9}"]
    for label, report in [("identity", reports[0][1]), *reports]:
        counts = report.identity if label == "identity" else report.system
        m = counts.metrics()
        seconds = f"{timings[label]:>9.1f}" if label in timings else f"{'':>9}"
        lines.append(f"{label:<12}{m['precision']:>7.3f}{m['recall']:>7.3f}{m['f05']:>7.3f}"
                     f"{m['overcorrection']:>9.4f}{m['error_reduction']:>9.3f}{counts.required:>6}{seconds}")
    (_, base), (_, mine) = reports[:2]
    gain = mine.system.metrics()["recall"] - base.system.metrics()["recall"]
    lines.append(f"recall {gain:+.3f} at precision {mine.system.metrics()['precision']:.3f} "
                 f"(target +0.10 at >= 0.90); learning took {timings['learn']:.1f} s")
    wrong = sorted((key for key in learned.mappings if key not in folder.gold),
                   key=lambda key: -learned.mappings[key].expected)
    if wrong:
        lines.append("learned, not shown by the originals: " + ", ".join(
            f"{s}->{o} ({learned.mappings[s, o].expected:.1f})" for s, o in wrong[:25]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--datasets", default="synthetic,real")
    parser.add_argument("--rounds", type=int, default=UnpairedSettings.rounds)
    parser.add_argument("--min-count", type=float, default=UnpairedSettings.min_count)
    parser.add_argument("--min-confidence", type=float, default=UnpairedSettings.min_confidence)
    parser.add_argument("--threshold", type=float, default=None, help="of the evaluated restorers")
    parser.add_argument("--rate", type=float, default=SPIN_RATE, help="synthetic: the spinner's rate")
    parser.add_argument("--same-spinner-row", action="store_true",
                        help="also restore the baseline with same_spinner (evidence pooled, no learned lexicon)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the spun folders and lexicons here")
    args = parser.parse_args(argv)
    from unspin.restoring.scoring.loading import load_scorer

    scorer = load_scorer(args.model)
    settings = UnpairedSettings(rounds=args.rounds, min_count=args.min_count, min_confidence=args.min_confidence)
    print(f"model {scorer.name}; learner {settings.describe()}")
    with tempfile.TemporaryDirectory() as scratch:
        directory = args.keep or Path(scratch)
        for name in args.datasets.split(","):
            folder = synthetic(directory, args.rate) if name == "synthetic" else real()
            learned, reports, timings = run_folder(folder, scorer, directory, settings, args.threshold,
                                                   args.same_spinner_row)
            print(describe(folder, learned, reports, timings), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
