"""Decoded edits and the restoration they make: offsets into the input, applied exactly."""

from __future__ import annotations

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

    ``spin_rates`` is each lexicon's estimated spin rate in the text (its blocks' estimates,
    weighted by their lengths); empty when nothing in the text was spinnable.
    """

    source: str
    text: str
    edits: list[Edit]
    settings: dict[str, Any] = field(default_factory=dict)
    spin_rates: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "edits": [e.to_dict() for e in self.edits], **self.settings}


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


def restoration_from_edits(source: str, edits: Sequence[Edit], settings: dict[str, Any] | None = None
                           ) -> Restoration:
    ordered = sorted(edits, key=lambda e: e.start)
    return Restoration(source, apply_edits(source, ordered), list(ordered), dict(settings or {}))
