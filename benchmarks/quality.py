"""Quality benchmark: the restorer against the identity baseline on three kinds of pairs.

1. TextFooler attack pairs (shared/data/textfooler: mr, yelp-sample, hc3-sample): spun =
   perturbed, original = original.
2. The seed pair (spun AP story vs an edited UK copy), evaluated where its sentences align.
   And the real development pairs (shared/data/real-pairs: content-farm pages that copied
   other stories through the seed's spinner family, against the outlets' own texts): articles
   the lexicons have never seen.
3. Synthetic pairs: clean text (the originals of mr.tsv and the paragraphs of seed 000)
   spun by :func:`unspin.evaluation.spin.spin_text` with half "A" of the news lexicon (entries split by
   a hash of the original). "seen" restores with the default lexicons (which hold A);
   "held-out" restores with the default lexicons but news replaced by its other half "B",
   so the lexicons that made a pair are not the ones that restore it.

Usage::

    python benchmarks/quality.py [--model M] [--limit N] [--threshold T] [--system restorer|identity] [--only NAME]

``--system identity`` skips the model (the output is the spun text) to check the table.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from unspin.evaluation.metrics import EvaluationReport, TextPair, evaluate
from unspin.evaluation.spin import spin_text
from unspin.lexicon.format import LexiconHeader, read_lexicon, resolve_lexicon, shipped_lexicons, write_lexicon

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" if (ROOT.parent / "shared").is_dir() else Path("/work/shared")
TEXTFOOLER = ("mr", "yelp-sample", "hc3-sample")
SEED_SPUN, SEED_ORIG = "001_35735e4cfd2e3926.txt", "000_99ccd3063016ac69.txt"
SPIN_RATE, SPIN_SEED = 0.5, 13


@dataclass(frozen=True)
class Dataset:
    name: str
    pairs: list[TextPair]
    made_by: str
    lexicons: list[str] | None  # None: the restorer's default (all shipped)


def textfooler_pairs(name: str, limit: int | None) -> list[TextPair]:
    csv.field_size_limit(sys.maxsize)
    with open(SHARED / "data" / "textfooler" / f"{name}.tsv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [TextPair(f"{name}:{i}", row["perturbed"], row["original"]) for i, row in enumerate(rows[:limit])]


def clean_texts(limit: int | None) -> list[tuple[str, str]]:
    originals = [(p.name, p.original) for p in textfooler_pairs("mr", limit)]
    seed = (SHARED / "seeds" / SEED_ORIG).read_text(encoding="utf-8")
    paragraphs = [line for line in seed.splitlines() if len(line.split()) > 5]
    return originals + [(f"seed000:{i}", text) for i, text in enumerate(paragraphs[:limit])]


def real_pairs() -> list[TextPair]:
    """The development pairs: each content-farm page against its outlet's text (read from shared/)."""
    folder = SHARED / "data" / "real-pairs"
    return [TextPair(spun.name.split(".")[0], spun.read_text(encoding="utf-8"),
                     (folder / spun.name.replace(".spun.", ".orig.")).read_text(encoding="utf-8"))
            for spun in sorted(folder.glob("*.spun.txt"))]


def split_news(directory: Path) -> tuple[Path, Path]:
    """Halves A and B of the news lexicon, split by a hash of each entry's original."""
    header, entries = read_lexicon(resolve_lexicon("news"))
    halves: tuple[list, list] = ([], [])
    for entry in entries:
        halves[hashlib.sha1(entry.original.encode()).digest()[0] % 2].append(entry)
    paths = []
    for label, half in zip("AB", halves, strict=True):
        part = LexiconHeader(name=f"news-{label}", source=f"half {label} of news {header.sha256[:12]}",
                             licence=header.licence, weights=header.weights)
        paths.append(write_lexicon(directory / f"news-{label}.tsv", part, half))
    return paths[0], paths[1]


def datasets(limit: int | None, directory: Path) -> list[Dataset]:
    found = [Dataset(f"textfooler-{n}", textfooler_pairs(n, limit), "TextFooler attack", None)
             for n in TEXTFOOLER]
    seed = TextPair("seed", (SHARED / "seeds" / SEED_SPUN).read_text(encoding="utf-8"),
                    (SHARED / "seeds" / SEED_ORIG).read_text(encoding="utf-8"))
    found.append(Dataset("seed (aligned part)", [seed], "real content-farm spinner", None))
    found.append(Dataset("real pairs (dev)", real_pairs(), "real content-farm spinners, unseen stories", None))
    half_a, half_b = split_news(directory)
    from unspin.lexicon.format import Lexicon

    spinner = [Lexicon.load(half_a)]
    synthetic = []
    for name, text in clean_texts(limit):
        result = spin_text(text, spinner, SPIN_RATE, SPIN_SEED)
        synthetic.append(TextPair(f"synthetic:{name}", result.text, text))
    made = f"spin_text(news-A, rate={SPIN_RATE}, seed={SPIN_SEED})"
    others = [name for name in shipped_lexicons() if name != "news"]
    found.append(Dataset("synthetic (seen)", synthetic, made, None))
    found.append(Dataset("synthetic (held-out)", synthetic, made, [*others, str(half_b)]))
    return found


def make_system(kind: str, model: str | None, threshold: float | None
                ) -> Callable[[list[str] | None], tuple[Callable[[str], str] | None, str]]:
    """A factory: lexicons -> (system function, description). Restorers share one scorer."""
    shared: dict[str, object] = {}

    def build(lexicons: list[str] | None) -> tuple[Callable[[str], str] | None, str]:
        if kind == "identity":
            return None, "identity (no restorer)"
        from unspin import Restorer

        options: dict[str, object] = {"model": model, "lexicons": lexicons}
        if threshold is not None:
            options["threshold"] = threshold
        if "scorer" in shared:
            options["scorer"] = shared["scorer"]
        restorer = Restorer(**options)
        shared.setdefault("scorer", restorer.scorer)
        names = ",".join(restorer.settings.lexicons)
        return (lambda text: restorer.restore(text).text), f"{names} (threshold {restorer.threshold})"

    return build


def table(rows: list[tuple[Dataset, str, EvaluationReport]]) -> str:
    head = (f"{'dataset':<22}{'pairs':>6}{'tokens':>8}  {'system':<9}{'P':>7}{'R':>7}{'F0.5':>7}"
            f"{'overcorr':>9}{'err-red':>9}{'gold':>6}{'errors':>8}")
    lines = [head, "-" * len(head)]
    notes = []
    for dataset, restored_with, report in rows:
        counts = report.system
        for label, scores in (("restorer", report.system), ("identity", report.identity)):
            m = scores.metrics()
            lines.append(f"{dataset.name if label == 'restorer' else '':<22}"
                         f"{counts.pairs if label == 'restorer' else '':>6}"
                         f"{counts.tokens_evaluated if label == 'restorer' else '':>8}  {label:<9}"
                         f"{m['precision']:>7.3f}{m['recall']:>7.3f}{m['f05']:>7.3f}"
                         f"{m['overcorrection']:>9.3f}{m['error_reduction']:>9.3f}{scores.required:>6}"
                         f"{m['errors_after']:>8}")
        notes.append(f"{dataset.name}: made by {dataset.made_by}; restored with {restored_with}; "
                     f"tokens evaluated {counts.tokens_evaluated} of {counts.tokens_total}")
    return "\n".join(lines + [""] + notes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--limit", type=int, default=None, help="pairs per dataset")
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--system", choices=("restorer", "identity"), default="restorer")
    parser.add_argument("--only", default=None, help="only the datasets whose name contains this")
    args = parser.parse_args(argv)
    build = make_system(args.system, args.model, args.threshold)
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        for dataset in datasets(args.limit, Path(directory)):
            if args.only and args.only not in dataset.name:
                continue
            system, restored_with = build(dataset.lexicons)
            settings = {"dataset": dataset.name, "restored_with": restored_with}
            report = evaluate(dataset.pairs, system, settings)
            rows.append((dataset, restored_with, report))
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
