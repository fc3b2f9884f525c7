"""Thesaurus sources (WordNet 3.0, Moby) and their inversion into a spun -> original lexicon.

A synonym spinner looks up an original word in its thesaurus and writes one of the synonyms it
finds there. :func:`invert_thesaurus` models that: for every original it ranks the synonyms the
sources offer (:func:`rank_synonyms`), keeps the best ``max_synonyms`` and shares the channel
probability P(spun | original) over them by rank; the rows are then looked up by the spun word.
The sources are plain mappings (word -> synonyms), so the inversion runs on any synonym table.
"""

from __future__ import annotations

import importlib.resources
import logging
import math
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unspin.lexicon.format import LexiconEntry, LexiconError

log = logging.getLogger(__name__)

Synonyms = Mapping[str, frozenset[str]]
DEBIAN_WORDNET = Path("/usr/share/wordnet")


@dataclass(frozen=True)
class ThesaurusOptions:
    """Which words enter the lexicon and how the channel probability is shared.

    Frequencies are wordfreq Zipf values (English); phrases are scored by wordfreq's estimate.
    """

    min_original_zipf: float = 3.5       # originals: words a news text uses
    min_phrase_zipf: float = 4.5         # multi-word originals need more
    min_spun_zipf: float = 3.0           # synonyms a spinner would write
    max_words: int = 4                   # longest phrase on either side
    max_synonyms: int = 16               # kept per original
    max_originals: int = 12              # kept per spun word, by P(spun | original) P(original)
    rank_offset: float = 5.0             # P(spun | original) ∝ 1 / (rank + rank_offset)

    def describe(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.__dict__.items())


def read_wordnet(directory: str | Path = DEBIAN_WORDNET) -> dict[str, frozenset[str]]:
    """Each WordNet lemma (lower case, spaces for "_") -> the other lemmas of its synsets."""
    with open_wordnet(directory) as wordnet:
        return _synset_neighbours(wordnet.all_synsets())


@contextmanager
def open_wordnet(directory: str | Path = DEBIAN_WORDNET) -> Iterator[Any]:
    """NLTK's reader over a WordNet 3.0 database folder (Debian's ``wordnet-base``).

    NLTK reads such a folder once it has a ``lexnames`` file, which Debian's package lacks;
    NLTK's path checks refuse symbolic links out of its data folders, so the database is copied
    into a private temporary NLTK data folder beside the documented ``lexnames``.
    """
    directory = Path(directory)
    if not (directory / "data.noun").is_file():
        raise LexiconError(f"no WordNet 3.0 database in {directory} (apt-get install wordnet-base)")
    import nltk
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    with tempfile.TemporaryDirectory(prefix="unspin-nltk-") as data:
        root = Path(data) / "corpora" / "wordnet"
        root.mkdir(parents=True)
        for source in directory.iterdir():
            if source.is_file():
                shutil.copyfile(source, root / source.name)
        lexnames = importlib.resources.files("unspin") / "data" / "wordnet-lexnames.tsv"
        (root / "lexnames").write_text(lexnames.read_text(encoding="utf-8"), encoding="utf-8")
        nltk.data.path.insert(0, data)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "multilingual functions are not available"
                wordnet = WordNetCorpusReader(str(root), None)
            log.info("WordNet %s from %s", wordnet.get_version(), directory)
            yield wordnet
        finally:
            nltk.data.path.remove(data)


def _synset_neighbours(synsets: Iterator) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for synset in synsets:
        lemmas = {name.replace("_", " ").lower() for name in synset.lemma_names()}
        for lemma in lemmas:
            found.setdefault(lemma, set()).update(lemmas - {lemma})
    return {word: frozenset(synonyms) for word, synonyms in found.items()}


def merge_sources(*sources: Synonyms) -> dict[str, frozenset[str]]:
    """The union of several synonym tables."""
    merged: dict[str, set[str]] = {}
    for source in sources:
        for word, synonyms in source.items():
            merged.setdefault(word, set()).update(synonyms)
    return {word: frozenset(synonyms) for word, synonyms in merged.items()}


def rank_synonyms(original: str, synonyms: Synonyms, wordnet: Synonyms,
                  frequency: Callable[[str], float], keep: Callable[[str, str], bool]) -> list[str]:
    """The synonyms of ``original`` that ``keep(original, synonym)`` accepts, likeliest first.

    ``synonyms`` is all sources merged (it also gives each word's neighbourhood). A synonym ranks
    higher when the link goes both ways, when WordNet has it (a shared sense, not only a related
    word), when it shares many neighbours with the original (cosine of the neighbour sets), when it
    is frequent and about as frequent as the original, and when it is one word (spinners swap words).
    """
    neighbours = synonyms.get(original, frozenset())
    in_wordnet = wordnet.get(original, frozenset())
    original_zipf = frequency(original)

    def score(word: str) -> float:
        around = synonyms.get(word, frozenset())
        cosine = len(neighbours & around) / math.sqrt((len(neighbours) + 1) * (len(around) + 1))
        zipf = frequency(word)
        return (2.0 * (original in around) + 2.0 * (word in in_wordnet) + 5.0 * cosine
                + 0.3 * zipf - 0.3 * abs(zipf - original_zipf) - 2.0 * (" " in word))

    candidates = [w for w in neighbours if w != original and keep(original, w)]
    return sorted(candidates, key=lambda w: (-score(w), w))


def invert_thesaurus(synonyms: Synonyms, wordnet: Synonyms, originals: Iterator[str] | list[str],
                     frequency: Callable[[str], float], keep: Callable[[str, str], bool],
                     options: ThesaurusOptions) -> list[LexiconEntry]:
    """Rows ``spun, original, P(spun | original)`` for each original's best ``max_synonyms`` synonyms.

    P falls with the synonym's rank as 1 / (rank + rank_offset), normalised over a full list of
    ``max_synonyms``: an original with a short list leaves the rest of its probability to synonyms the
    sources lack, rather than piling it on the few they have.
    A spun word then keeps the ``max_originals`` originals it most likely stands for, by
    P(original | spun) ∝ P(spun | original) P(original), P(original) from the word frequency.
    """
    shares = [1.0 / (rank + options.rank_offset) for rank in range(options.max_synonyms)]
    total = sum(shares)
    by_spun: dict[str, list[LexiconEntry]] = {}
    for original in originals:
        kept = rank_synonyms(original, synonyms, wordnet, frequency, keep)[: options.max_synonyms]
        for spun, share in zip(kept, shares, strict=False):
            by_spun.setdefault(spun, []).append(LexiconEntry(spun, original, share / total))
    entries: list[LexiconEntry] = []
    for rows in by_spun.values():
        rows.sort(key=lambda e: (-(math.log(e.weight) + math.log(10) * frequency(e.original)), e.original))
        entries += rows[: options.max_originals]
    return entries
