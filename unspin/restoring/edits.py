"""Decoded edits and the restoration they make: offsets into the input, applied exactly."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Alternative:
    text: str
    confidence: float


@dataclass(frozen=True)
class Edit:
    """Replace ``input[start:end]`` (== ``original``) by ``replacement``.

    ``confidence`` is the decoder's posterior probability that the replacement is the
    original wording; ``alternatives`` are the other readings it weighed (keeping the
    spun text included), most likely first.
    """

    start: int
    end: int
    original: str
    replacement: str
    confidence: float
    alternatives: tuple[Alternative, ...] = ()
    lexicon: str = ""

    def shifted(self, offset: int) -> Edit:
        return Edit(self.start + offset, self.end + offset, self.original, self.replacement,
                    self.confidence, self.alternatives, self.lexicon)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["alternatives"] = [asdict(a) for a in self.alternatives]
        data["confidence"] = round(self.confidence, 4)
        for alternative in data["alternatives"]:
            alternative["confidence"] = round(alternative["confidence"], 4)
        return data


@dataclass
class Restoration:
    """The restored text with the edits that produced it from ``source``.

    ``spin_rates`` is the document's estimated spin rate of each lexicon (the share of the words
    it could have swapped that it did swap), averaged over the text's blocks by their size.
    """

    source: str
    text: str
    edits: list[Edit]
    settings: dict[str, Any] = field(default_factory=dict)
    spin_rates: dict[str, float] = field(default_factory=dict)

    def spin(self) -> dict[str, Any]:
        """How spun the text looks: rates by lexicon, words restored of the words in the text."""
        return spin_summary(count_words(self.source), self.edits, self.spin_rates)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "edits": [e.to_dict() for e in self.edits], **self.settings, "spin": self.spin()}


def count_words(text: str) -> int:
    """Words (not numbers or punctuation) as the tokenizer splits them."""
    if not text.strip():
        return 0
    from unspin.text.tokens import tokenize

    return sum(1 for span in tokenize(text) if span.is_word)


def spin_summary(words: int, edits: Sequence[Edit], rates: dict[str, float]) -> dict[str, Any]:
    """The ``spin`` object of the JSON output; ``words`` is the number of words in the input."""
    restored = sum(count_words(edit.original) for edit in edits)
    return {"rates": {name: round(rate, 4) for name, rate in sorted(rates.items())},
            "words_restored": restored, "words": words,
            "share_restored": round(restored / words, 4) if words else 0.0,
            "edits_by_lexicon": dict(sorted(Counter(edit.lexicon for edit in edits).items()))}


def mean_rates(parts: Iterable[tuple[int, dict[str, float]]]) -> dict[str, float]:
    """Spin rates of several blocks of one text, each lexicon's averaged over the blocks (weighted by
    their size) where it had something to swap."""
    totals: dict[str, float] = {}
    weights: dict[str, float] = {}
    for size, rates in parts:
        for name, rate in rates.items():
            totals[name] = totals.get(name, 0.0) + size * rate
            weights[name] = weights.get(name, 0.0) + size
    return {name: totals[name] / weights[name] for name in totals if weights[name] > 0}


def join_restorations(blocks: Iterable[Restoration]) -> Restoration:
    """One restoration of consecutive blocks (as ``Restorer.restore_lines`` yields them)."""
    sources, texts, edits, parts, settings = [], [], [], [], {}
    offset = 0
    for block in blocks:
        sources.append(block.source)
        texts.append(block.text)
        edits += [edit.shifted(offset) for edit in block.edits]
        parts.append((len(block.source), block.spin_rates))
        settings = settings or block.settings
        offset += len(block.source)
    return Restoration("".join(sources), "".join(texts), edits, settings, mean_rates(parts))


class OverlappingEditsError(ValueError):
    """Two edits cover the same characters."""


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping edits to ``text``; bytes outside the edits are kept as they are."""
    ordered = sorted(edits, key=lambda e: e.start)
    pieces: list[str] = []
    position = 0
    for edit in ordered:
        if edit.start < position:
            raise OverlappingEditsError(f"edit at {edit.start} overlaps the previous one")
        if text[edit.start : edit.end] != edit.original:
            raise ValueError(f"edit at {edit.start} expects {edit.original!r}, text has "
                             f"{text[edit.start:edit.end]!r}")
        pieces.append(text[position : edit.start])
        pieces.append(edit.replacement)
        position = edit.end
    pieces.append(text[position:])
    return "".join(pieces)


def restoration_from_edits(source: str, edits: Sequence[Edit], settings: dict[str, Any] | None = None,
                           spin_rates: dict[str, float] | None = None) -> Restoration:
    ordered = sorted(edits, key=lambda e: e.start)
    return Restoration(source, apply_edits(source, ordered), list(ordered), dict(settings or {}),
                       dict(spin_rates or {}))
