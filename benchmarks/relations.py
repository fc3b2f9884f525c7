"""How a spinner's swaps are linked: the strength of the related-words link between each spun word and
its original, against the strengths among all the candidates the table offers for that spun word.

The ratio (share of swaps / share of candidates) per strength is the likelihood ratio the
restorer's channel gives a proposal of that strength (``unspin.restoring.lattice.LINK_WEIGHTS``).
The swaps are the one-word substitutions of spun/original pairs, extracted with the learner's
noise rules (:func:`unspin.lexicon.learn.extract_substitutions`). The shipped weights were
measured on the training pairs (the seed and the two mined pairs whose addresses the ``news``
lexicon's header lists; their text stays outside the repository), never on the development pairs.

Usage::

    python benchmarks/relations.py --spun DIR --orig DIR    # same-named files
    python benchmarks/relations.py                          # the development pairs (for comparison)
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from wordfreq import zipf_frequency

from unspin.lexicon.learn import extract_substitutions
from unspin.lexicon.related import CLOSE, LISTED, LOOSE, SYNONYM, RelatedWords
from unspin.lexicon.relatedness import word_forms
from unspin.restoring.lattice import PROPOSAL_FREQUENCY_MARGIN, shipped_related

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" if (ROOT.parent / "shared").is_dir() else Path("/work/shared")
NAMES = {CLOSE: "close (WordNet synonym + Moby)", SYNONYM: "synonym (WordNet or Moby both ways)",
         LISTED: "listed (Moby one way)", LOOSE: "loose (hypernym, hyponym, derivation)"}


def pairs(spun: Path | None, orig: Path | None) -> list[tuple[str, str]]:
    if spun is None or orig is None:
        folder = SHARED / "data" / "real-pairs"
        return [(path.read_text(encoding="utf-8"),
                 (folder / path.name.replace(".spun.", ".orig.")).read_text(encoding="utf-8"))
                for path in sorted(folder.glob("*.spun.txt"))]
    return [(path.read_text(encoding="utf-8"), (orig / path.name).read_text(encoding="utf-8"))
            for path in sorted(spun.iterdir()) if (orig / path.name).is_file()]


def candidates(related: RelatedWords, spun: str) -> dict[str, int]:
    """The originals the table offers for ``spun`` (through its lemmas), each with its strongest link."""
    floor = zipf_frequency(spun, "en") - PROPOSAL_FREQUENCY_MARGIN
    found: dict[str, int] = {}
    for key in word_forms(spun):
        for original, strength in related.links(key):
            if zipf_frequency(original, "en") >= floor:
                found[original] = max(strength, found.get(original, LOOSE))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spun", type=Path, help="folder of spun texts (default: the development pairs)")
    parser.add_argument("--orig", type=Path, help="folder of their originals, same names")
    args = parser.parse_args()
    related = shipped_related()
    swaps = [(s.spun.lower(), s.original.lower()) for spun, orig in pairs(args.spun, args.orig)
             for s in extract_substitutions(spun, orig) if " " not in s.spun and " " not in s.original]
    gold: Counter[int] = Counter()
    offered: Counter[int] = Counter()
    linked = 0
    for spun, original in swaps:
        found = candidates(related, spun)
        strengths = [found[o] for o in word_forms(original) if o in found]
        if not strengths:
            continue
        linked += 1
        gold[max(strengths)] += 1
        for strength in found.values():
            offered[strength] += 1 / len(found)
    print(f"{len(swaps)} one-word swaps, {linked} linked by the table")
    print(f"{'strength':40} {'swaps':>7} {'candidates':>11} {'ratio':>7}")
    for strength in (CLOSE, SYNONYM, LISTED, LOOSE):
        share, base = gold[strength] / max(linked, 1), offered[strength] / max(linked, 1)
        print(f"{NAMES[strength]:40} {share:7.1%} {base:11.1%} {share / base if base else 0.0:7.2f}")


if __name__ == "__main__":
    main()
