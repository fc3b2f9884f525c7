"""Stage 1: text -> tokens and sentences with character offsets.

Every span keeps ``text[span.start:span.end] == span.text`` so that later stages can
edit the input by offsets and never touch a byte outside an edit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# Words (with inner hyphens and dots as in "long-range", "U.S."), clitics ("’s", "n't"),
# numbers with separators, then any other single non-space character.
_TOKEN_PATTERN = r"""
    (?:[A-Za-z]\.){2,}                       # initialisms: U.S. D.C.
  | \d+(?:[.,:]\d+)*                         # numbers: 3,350 1.5 10:30
  | [^\W\d_]+(?:[-][^\W\d_]+)*               # words, hyphenated compounds
  | ['’][^\W\d_]+                            # clitics: 's ’re
  | \S                                       # anything else, one char at a time
"""

# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "sgt", "st", "jr", "sr",
    "inc", "ltd", "co", "corp", "vs", "etc", "no", "fig", "al", "jan", "feb", "mar", "apr", "jun", "jul",
    "aug", "sep", "sept", "oct", "nov", "dec", "e.g", "i.e", "u.s", "u.k", "u.n", "d.c",
}
_SENTENCE_END = re.compile(r"""[.!?…]+['"’”)\]]*(?=\s+['"‘“(\[]?[A-Z0-9])""")
_PARAGRAPH_BREAK = re.compile(r"\n")


@dataclass(frozen=True)
class Span:
    """A piece of the input: ``text == source[start:end]``."""

    start: int
    end: int
    text: str

    @property
    def is_word(self) -> bool:
        return self.text[:1].isalpha()


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    # NLTK takes a quarter of a second to import: only when there is text to tokenise.
    from nltk.tokenize import RegexpTokenizer

    return RegexpTokenizer(_TOKEN_PATTERN, flags=re.VERBOSE | re.UNICODE)


def tokenize(text: str, offset: int = 0) -> list[Span]:
    """Split ``text`` into word and punctuation tokens with character offsets (shifted by ``offset``)."""
    return [Span(offset + s, offset + e, text[s:e]) for s, e in _tokenizer().span_tokenize(text)]


def split_sentences(text: str, offset: int = 0) -> list[Span]:
    """Split ``text`` into sentences (whitespace between sentences belongs to no sentence).

    Line breaks always end a sentence; a full stop ends one unless it follows a known
    abbreviation or a single initial.
    """
    sentences: list[Span] = []
    for line_start, line_end in _line_spans(text):
        start = line_start
        for match in _SENTENCE_END.finditer(text, line_start, line_end):
            word = re.search(r"([\w.]+)\.?$", text[start : match.start() + 1])
            previous = word.group(1).lower().rstrip(".") if word else ""
            if match.group(0).startswith(".") and (previous in _ABBREVIATIONS or len(previous) == 1):
                continue
            sentences.append(_trimmed(text, start, match.end(), offset))
            start = match.end()
        sentences.append(_trimmed(text, start, line_end, offset))
    return [s for s in sentences if s.text]


def split_paragraphs(text: str) -> Iterator[Span]:
    """Yield the non-empty lines of ``text`` as spans (a news paragraph is a line)."""
    for start, end in _line_spans(text):
        if text[start:end].strip():
            yield Span(start, end, text[start:end])


def _line_spans(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        yield start, match.start()
        start = match.end()
    yield start, len(text)


def _trimmed(text: str, start: int, end: int, offset: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(offset + start, offset + end, text[start:end])
