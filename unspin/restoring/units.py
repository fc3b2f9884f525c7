"""Units: the stretches of a paragraph that the language model scores at once, and safe cuts.

A short paragraph is one unit; a longer one is cut between sentences. A sentence longer than the
cap (a paragraph without sentence ends: punctuation stripped, a list, a transcript) is cut at
white space, failing that between two tokens, failing that anywhere (a run of more than half the
cap without either is no word). So a unit never exceeds ``UNIT_MAX_CHARACTERS`` characters, at
most four times as many UTF-8 bytes and so byte-level tokens, far under any model's window,
and time and memory grow linearly with the text whatever its shape. A unit cut out of a sentence
shows the model the text just before it as context (not edited there).
"""

from __future__ import annotations

from dataclasses import dataclass

from unspin.text.tokens import Span, split_sentences, tokenize

UNIT_MAX_CHARACTERS = 1_200  # longer paragraphs are scored a few sentences (or a piece of one) at a time
CONTEXT_CHARACTERS = 300  # text before a cut inside a sentence that the model sees with the next unit
# Characters that may join the alphanumeric characters beside them into one token ("long-range",
# "U.S.", "3,350", "10:30", "’s"); any other neighbour ends a token.
_JOINERS = frozenset("-.,:'’")


@dataclass(frozen=True)
class Unit(Span):
    """A unit cut out of a sentence: the model reads ``source[context_start:end]``, edits only
    ``start:end``."""

    context_start: int = 0


def context_start(unit: Span) -> int:
    """Where the model's view of ``unit`` starts (its own start, unless it carries context)."""
    return unit.context_start if isinstance(unit, Unit) else unit.start


def paragraph_units(paragraph: Span, limit: int = UNIT_MAX_CHARACTERS,
                    context: int = CONTEXT_CHARACTERS) -> list[Span]:
    """A paragraph, or runs of its sentences, or pieces of an over-long sentence: each at most ``limit``."""
    if len(paragraph.text) <= limit:
        return [paragraph]
    runs: list[Span] = []  # sentence runs (as bare offsets until the end) and pieces of long sentences
    for sentence in split_sentences(paragraph.text, paragraph.start):
        if len(sentence.text) > limit:
            runs += cut_sentence(sentence, limit, context)
        elif runs and not isinstance(runs[-1], Unit) and sentence.end - runs[-1].start <= limit:
            runs[-1] = Span(runs[-1].start, sentence.end, "")
        else:
            runs.append(Span(sentence.start, sentence.end, ""))
    source, offset = paragraph.text, paragraph.start
    return [unit if isinstance(unit, Unit) else
            Span(unit.start, unit.end, source[unit.start - offset : unit.end - offset]) for unit in runs]


def cut_sentence(sentence: Span, limit: int, context: int) -> list[Span]:
    """Pieces of at most ``limit`` characters, cut at white space (which belongs to no piece),
    else between tokens, else at ``limit``; each piece after the first carries up to ``context``
    characters before it, from a word's start."""
    text, base = sentence.text, sentence.start
    pieces: list[Span] = []
    start = 0
    while start < len(text):
        end = len(text) if len(text) - start <= limit else cut_point(text, start + limit // 2, start + limit)
        rest = end
        while end > start and text[end - 1].isspace():
            end -= 1
        while rest < len(text) and text[rest].isspace():
            rest += 1
        seen = max(0, start - context)
        if 0 < seen < start:  # begin the context at a word, not inside one
            space = next((i for i in range(seen, start) if text[i].isspace()), start)
            seen = min(start, space + 1) if space < start else start
        pieces.append(Unit(base + start, base + end, text[start:end], base + seen))
        start = rest
    return pieces


def cut_point(text: str, low: int, high: int) -> int:
    """A place in ``low..high`` to cut ``text``: the last white space, else the last boundary
    between two tokens, else ``high``."""
    for index in range(high, low - 1, -1):
        if text[index].isspace():
            return index
    for index in range(high, low - 1, -1):
        if is_token_boundary(text, index):
            return index
    return high


def stream_cut(text: str) -> int:
    """Where to end a block of a stream that has grown long inside a line: after its last line
    break or, failing one in its second half, after its last white space (the rest, a part of a
    line, starts the next block); never inside a word that white space or a token boundary ends."""
    middle = len(text) // 2
    newline = text.rfind("\n", middle)
    if newline >= 0:
        return newline + 1
    if len(text) < 2:
        return len(text)
    cut = cut_point(text, middle, len(text) - 1)
    return cut + 1 if text[cut].isspace() else cut


def is_token_boundary(text: str, index: int) -> bool:
    """Whether no token of ``text`` spans ``index`` (so cutting there changes no token)."""
    if index <= 0 or index >= len(text):
        return True
    before, after = text[index - 1], text[index]
    if before.isspace() or after.isspace():
        return True
    if before.isalnum() and after.isalnum():
        return False
    if before.isalnum() or after.isalnum():  # a word or number next to a sign: a boundary unless it joins them
        return (after if before.isalnum() else before) not in _JOINERS
    return True  # two signs: each is a token of its own


def unit_tokens(source: str, unit: Span) -> list[Span]:
    """The unit's tokens, less any at an edge where the unit was cut inside a token: a piece of a
    longer token must not be taken for a word of the lexicon."""
    tokens = tokenize(unit.text, unit.start)
    if tokens and tokens[0].start == unit.start and not is_token_boundary(source, unit.start):
        tokens = tokens[1:]
    if tokens and tokens[-1].end == unit.end and not is_token_boundary(source, unit.end):
        tokens = tokens[:-1]
    return tokens
