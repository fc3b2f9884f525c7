"""Gold (original) texts for evaluation, with ``{a|b}`` groups where the original is uncertain.

``The {war|conflict} ended`` accepts either reading. The plain text keeps the first option
of each group, so that it can be split into sentences and tokens with offsets; each
token of the plain text becomes a :class:`Slot`, and the tokens of one group form a
single slot holding every option.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from unspin.text.align import token_key
from unspin.text.tokens import Span, tokenize

_GROUP = re.compile(r"\{([^{}|]*(?:\|[^{}|]*)+)\}")


def phrase_key(text: str) -> str:
    """The comparison key of a phrase: its token keys joined by one space."""
    return " ".join(token_key(t.text) for t in tokenize(text))


@dataclass(frozen=True)
class Slot:
    """One reference token, or one uncertain group: ``options[0]`` is what the plain text shows."""

    start: int
    end: int
    options: tuple[str, ...]

    @property
    def key(self) -> str:
        """The alignment key; a group's key matches no token, so groups always fall in a block."""
        return self.options[0] if len(self.options) == 1 else "{" + "|".join(self.options) + "}"


@dataclass(frozen=True)
class Reference:
    """A gold text: ``text`` with the first option of each group, and the groups' spans in it."""

    text: str
    groups: tuple[tuple[Span, tuple[str, ...]], ...] = ()

    def slots(self, region: Span | None = None) -> list[Slot]:
        """The slots of the text (or of the character ``region`` of it), in order."""
        start, end = (region.start, region.end) if region else (0, len(self.text))
        slots: list[Slot] = []
        seen_groups: set[int] = set()
        for token in tokenize(self.text):
            if token.start < start or token.end > end:
                continue
            group = self._group_of(token)
            if group is None:
                slots.append(Slot(token.start, token.end, (token_key(token.text),)))
            elif group not in seen_groups:
                seen_groups.add(group)
                span, options = self.groups[group]
                slots.append(Slot(span.start, span.end, options))
        return slots

    def _group_of(self, token: Span) -> int | None:
        for index, (span, _) in enumerate(self.groups):
            if token.start < span.end and span.start < token.end:
                return index
        return None


def parse_reference(text: str) -> Reference:
    """Parse ``{a|b}`` groups out of a gold text (text without groups parses to itself)."""
    pieces: list[str] = []
    groups: list[tuple[Span, tuple[str, ...]]] = []
    position = length = 0
    for match in _GROUP.finditer(text):
        before = text[position : match.start()]
        pieces.append(before)
        length += len(before)
        raw = match.group(1).split("|")
        first = raw[0]
        pieces.append(first)
        options = tuple(dict.fromkeys(phrase_key(option) for option in raw))
        groups.append((Span(length, length + len(first), first), options))
        length += len(first)
        position = match.end()
    pieces.append(text[position:])
    return Reference("".join(pieces), tuple(groups))
