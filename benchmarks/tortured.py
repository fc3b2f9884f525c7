"""Tortured-phrase benchmark: listed tortured phrases put into new sentences come back exactly.

A tortured phrase ("counterfeit consciousness" for "artificial intelligence") is a fingerprint of
a spinner; the default restorer (every shipped lexicon, the default model) should restore it in
running text. The sample: ``--sample`` phrases of the shipped tortured lexicon whose original is
unambiguous (one reading, no curator's note, two to four plain words on both sides, about as many
words on both sides, no "or"/"probably" in the reading), taken in the order of the sha256 of the
pair, so the sample is the same on every run and machine. Each phrase goes into the sentences of
:data:`TEMPLATES` (one starts the sentence, so its case must carry); a phrase counts as restored
when most of its sentences come back exactly (the whole sentence equal to the one with the reading).

Each failure is printed with its cause:

* ``not proposed``: no lexicon proposes the reading for the phrase;
* ``cut from the slot``: proposed, but not among the readings of the slot that reach the model;
* ``low confidence``: the decoder's best reading, below the threshold;
* ``not chosen``: a reading of the slot, but the text (or another reading) won;
* ``partial``: the phrase was edited, but not into the reading (another reading, or part of it).

Usage::

    python benchmarks/tortured.py [--sample 60] [--model M] [--show-all]
"""

from __future__ import annotations

import argparse
import hashlib
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from unspin.lexicon.format import read_lexicon, resolve_lexicon

TEMPLATES = (
    "In this paper we use {} to study the data.",
    "Recent advances in {} have changed how the results are analysed.",
    "{} is central to the proposed method and to its evaluation.",
)
_PLAIN = re.compile(r"[a-z]+(?: [a-z]+){1,3}")
_VAGUE = {"or", "probably", "maybe", "perhaps", "etc"}


@dataclass(frozen=True)
class Case:
    phrase: str
    original: str

    def sentences(self) -> list[tuple[str, str]]:
        """(spun sentence, expected sentence) for every template."""
        return [(_fill(template, self.phrase), _fill(template, self.original)) for template in TEMPLATES]


def _fill(template: str, phrase: str) -> str:
    text = template.format(phrase)
    return text[:1].upper() + text[1:]


def sample_cases(size: int, lexicon: str = "tortured") -> list[Case]:
    """The deterministic sample of unambiguous tortured phrases (see the module docstring)."""
    _, entries = read_lexicon(resolve_lexicon(lexicon))
    readings: dict[str, list] = {}
    for entry in entries:
        readings.setdefault(entry.spun, []).append(entry)
    cases = []
    for spun, found in readings.items():
        if len(found) != 1 or found[0].note:
            continue
        original = found[0].original
        if not (_PLAIN.fullmatch(spun) and _PLAIN.fullmatch(original)):
            continue
        if abs(len(spun.split()) - len(original.split())) > 1 or _VAGUE & set(original.split()):
            continue
        cases.append(Case(spun, original))
    cases.sort(key=lambda c: hashlib.sha256(f"{c.phrase}\t{c.original}".encode()).hexdigest())
    return cases[:size]


def diagnose(restorer, case: Case, spun: str, expected: str, restored: str, low: str) -> str:  # type: ignore[no-untyped-def]
    """Why ``spun`` did not come back as ``expected`` (``low``: the restoration at threshold 0)."""
    from unspin.restoring.lattice import _propose, build_lattice
    from unspin.text.tokens import tokenize

    tokens = tokenize(spun)
    slots = build_lattice(spun, tokens, restorer.lexicons, restorer.vocabulary, None, restorer.related)
    readings = {spun[: slot.start] + option.text + spun[slot.end :] for slot in slots for option in slot.options}
    if expected in readings:
        if restored != spun:
            return f"partial: {_changed(spun, restored)!r}"
        if low == expected:
            return "low confidence"
        return "not chosen" + (f" (best: {_changed(spun, low)!r})" if low != spun else "")
    start = spun.lower().find(case.phrase)
    phrase = [t for t in tokens if t.start >= start and t.end <= start + len(case.phrase)]
    if case.original in {o.text.lower() for o in _propose(phrase, restorer.lexicons, restorer.vocabulary)}:
        return "cut from the slot"
    return "not proposed"


def _changed(before: str, after: str) -> str:
    """The words of ``after`` that differ from ``before`` (common words at both ends left out)."""
    old, new = before.split(), after.split()
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    return " ".join(new[head : len(new) - tail])


def run(cases: Sequence[Case], model: str | None, show_all: bool) -> int:
    from unspin import Restorer

    started = time.perf_counter()
    restorer = Restorer(**({"model": model} if model else {}))
    pairs = [pair for case in cases for pair in case.sentences()]
    restored = [r.text for r in restorer.restore_many([spun for spun, _ in pairs])]
    elapsed = time.perf_counter() - started
    failed = [i for i, ((_, expected), text) in enumerate(zip(pairs, restored)) if text != expected]
    threshold, restorer.threshold = restorer.threshold, 0.0
    low = dict(zip(failed, (r.text for r in restorer.restore_many([pairs[i][0] for i in failed]))))
    restorer.threshold = threshold
    good = 0
    causes: Counter[str] = Counter()
    per_template = [0] * len(TEMPLATES)
    print(f"{len(cases)} tortured phrases x {len(TEMPLATES)} sentences, model {restorer.settings.model}, "
          f"{elapsed:.0f} s")
    for number, case in enumerate(cases):
        indices = range(number * len(TEMPLATES), (number + 1) * len(TEMPLATES))
        exact = [restored[i] == pairs[i][1] for i in indices]
        for position, ok in enumerate(exact):
            per_template[position] += ok
        if 2 * sum(exact) > len(exact):
            good += 1
        why = [diagnose(restorer, case, *pairs[i], restored[i], low[i]) for i in indices if i in low]
        for reason in why:
            causes[reason.split(":")[0].split(" (")[0]] += 1
        if why and (show_all or 2 * sum(exact) <= len(exact)):
            print(f"  {'ok ' if 2 * sum(exact) > len(exact) else 'BAD'} {case.phrase!r} -> {case.original!r}: "
                  f"{sum(exact)}/{len(exact)} exact; " + "; ".join(why))
    print(f"restored (most sentences exact): {good}/{len(cases)}")
    print("exact sentences by template: " + ", ".join(f"{n}/{len(cases)}" for n in per_template))
    print("causes of the inexact sentences: " + (", ".join(f"{k} {v}" for k, v in causes.most_common()) or "none"))
    return good


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample", type=int, default=60, help="tortured phrases in the sample")
    parser.add_argument("--model", default=None, help="language model (default: the Restorer's)")
    parser.add_argument("--show-all", action="store_true", help="also list phrases restored in most sentences")
    args = parser.parse_args()
    run(sample_cases(args.sample), args.model, args.show_all)


if __name__ == "__main__":
    main()
