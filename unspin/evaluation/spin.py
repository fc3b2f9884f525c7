"""A reference dictionary spinner, for making synthetic (spun, original) pairs with gold edits.

It walks the tokens left to right; at each position it looks for the longest phrase (up
to the lexicons' longest entry) that some lexicon can spin (:meth:`Lexicon.substitutes`,
the forward direction), and with probability ``rate`` replaces it by a substitute drawn by
P(spun | original). A single word with no entry of its own is tried through its lemma
(lemminflect) and the substitute is re-inflected to the word's tag ("said" → "say" →
"mention" → "mentioned"). Casing follows the replaced text. Skipped: the most frequent
English words (the :data:`FUNCTION_WORDS` most frequent in wordfreq: function words), numbers, punctuation,
and capitalised words other than at sentence start (names), unless a multi-word
lexicon phrase covers them ("White House"). Deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from lemminflect import getAllInflections, getAllLemmas, getInflection

from unspin.lexicon.format import Lexicon, normalize_phrase
from unspin.text.tokens import Span, split_sentences, tokenize

FUNCTION_WORDS = 60


@dataclass(frozen=True)
class SpinEdit:
    """A swap on the *spun* text: ``spun_text[start:end] == spun`` stands for ``original``."""

    start: int
    end: int
    spun: str
    original: str


@dataclass(frozen=True)
class SpinResult:
    """The spun text, its gold edits (offsets on the spun text) and the settings that made it."""

    text: str
    source: str
    edits: tuple[SpinEdit, ...]
    settings: dict[str, Any] = field(default_factory=dict)

    def gold(self) -> list[dict[str, Any]]:
        """The gold alignment as JSON-ready ``{start, end, spun, original}`` records."""
        return [asdict(edit) for edit in self.edits]


@lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    from wordfreq import top_n_list

    return frozenset(top_n_list("en", FUNCTION_WORDS))


def match_case(source: str, replacement: str) -> str:
    """Give ``replacement`` the casing pattern of ``source`` (upper, title per word, first cap)."""
    words = source.split()
    if len(source) > 1 and source.isupper():
        return replacement.upper()
    if len(words) > 1 and all(w[:1].isupper() for w in words):
        return " ".join(w[:1].upper() + w[1:] for w in replacement.split())
    if source[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def _merged(lexicons: Sequence[Lexicon], original: str) -> dict[str, float]:
    merged: dict[str, float] = {}
    for lexicon in lexicons:
        for spun, probability in lexicon.substitutes(original).items():
            merged[spun] = max(merged.get(spun, 0.0), probability)
    return merged


def _lemma_substitutes(lexicons: Sequence[Lexicon], word: str) -> dict[str, float]:
    """Substitutes of a word's lemma, re-inflected to the word's own tag."""
    found: dict[str, float] = {}
    lower = word.lower()
    for upos, lemmas in sorted(getAllLemmas(lower).items()):
        for lemma in lemmas:
            tags = [t for t, forms in getAllInflections(lemma, upos).items() if lower in forms]
            for spun, probability in _merged(lexicons, lemma).items():
                if " " in spun or not tags:
                    continue
                inflected = getInflection(spun, tags[0])
                if inflected:
                    found.setdefault(inflected[0], probability)
    return found


def _candidates(lexicons: Sequence[Lexicon], tokens: Sequence[Span], i: int, size: int,
                sentence_start: bool, text: str) -> dict[str, float]:
    window = tokens[i : i + size]
    if len(window) < size or not all(t.is_word for t in window):
        return {}
    phrase = text[window[0].start : window[-1].end]
    if size == 1:
        word = window[0].text
        if word.lower() in _function_words() or (word[:1].isupper() and not sentence_start):
            return {}
        return _merged(lexicons, normalize_phrase(phrase)) or _lemma_substitutes(lexicons, word)
    return _merged(lexicons, normalize_phrase(phrase))


def spin_text(text: str, lexicons: Sequence[Lexicon], rate: float = 0.2, seed: int = 0) -> SpinResult:
    """Spin ``text`` with ``lexicons`` (forward direction): see the module docstring."""
    rng = random.Random(seed)
    tokens = tokenize(text)
    starts = {s.start for s in split_sentences(text)}
    longest = max((lex.max_words for lex in lexicons), default=1)
    pieces: list[str] = []
    edits: list[SpinEdit] = []
    position = shift = i = 0
    while i < len(tokens):
        for size in range(longest, 0, -1):
            options = _candidates(lexicons, tokens, i, size, tokens[i].start in starts, text)
            if options:
                break
        if not options or rng.random() >= rate:
            i += 1
            continue
        ordered = sorted(options.items())
        spun = rng.choices([s for s, _ in ordered], weights=[p for _, p in ordered])[0]
        start, end = tokens[i].start, tokens[i + size - 1].end
        original = text[start:end]
        spun = match_case(original, spun)
        pieces.append(text[position:start])
        new_start = start + shift
        pieces.append(spun)
        edits.append(SpinEdit(new_start, new_start + len(spun), spun, original))
        shift += len(spun) - len(original)
        position, i = end, i + size
    pieces.append(text[position:])
    made_by = [f"{lex.name}:{lex.header.sha256[:12]}" for lex in lexicons]
    settings = {"rate": rate, "seed": seed, "lexicons": made_by}
    return SpinResult("".join(pieces), text, tuple(edits), settings)
