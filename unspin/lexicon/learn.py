"""Learning a spinner lexicon from (spun, original) pairs.

Pipeline: align sentences (pairs may differ by inserted, dropped or merged sentences) →
align tokens → take each differing block as a candidate substitution (n:m, up to
``max_words`` tokens a side) → reject editorial noise → count → write a lexicon with
``weights: count`` (the loader turns counts into P(spun | original)).

Editorial noise (an edited copy differs from the original in ways no spinner made):

- spelling and punctuation variants ("authorised"/"authorized", "reelection"/"re-election",
  "Zelenskyy"/"Zelensky"): tokens equal once reduced to letters, or close by edit
  distance (:data:`LearnSettings.spelling_ratio`); such token pairs are first trimmed
  from the edges of a block, so "Zelenskyy" → "Mr Zelensky" leaves a bare insertion;
- insertions and deletions ("Mr" before a name, dropped words): a spinner substitutes,
  so blocks with an empty side are not substitutions;
- inflection changes of one lemma ("weighs"/"weighing");
- tokens that are not words (numbers, punctuation, clitics);
- rewordings far from any synonym relation: kept only if seen ``min_count`` times, unless
  a thesaurus (:mod:`unspin.lexicon.relatedness`) relates a word of each side; between two
  very frequent single words ("after" -> "and") never, however often seen.

Names are not reworded by a spinner, so a block with a capitalised token other than at
sentence start ("Trump", "Mr") is rejected, except a one-for-one swap inside a name
("White Home" for "White House": next to capitalised words that both texts share), which
is stored as the whole name phrase, never as the bare word, so "home" is not turned into
"house" elsewhere.
Single-word swaps are also stored at lemma level and re-inflected (lemminflect) with a
lower weight, so that "informed" → "told" carries to "informs" → "tells".
"""

from __future__ import annotations

import difflib
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lemminflect import getAllInflections, getAllLemmas

from unspin.lexicon.format import LexiconEntry, LexiconHeader, write_lexicon
from unspin.lexicon.relatedness import Relatedness
from unspin.text.align import DEFAULT_MIN_SIMILARITY, align_sentences, diff_tokens, token_key
from unspin.text.tokens import Span, tokenize

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LearnSettings:
    """Knobs of the learner (recorded in the lexicon header)."""

    max_words: int = 4
    min_count: int = 2
    spelling_ratio: float = 0.8
    inflection_weight: float = 0.5
    min_similarity: float = DEFAULT_MIN_SIMILARITY

    def describe(self) -> str:
        return (f"max_words={self.max_words} min_count={self.min_count} spelling_ratio={self.spelling_ratio}"
                f" inflection_weight={self.inflection_weight} min_similarity={self.min_similarity}")


@dataclass(frozen=True)
class Substitution:
    """One observed swap: ``spun`` (as the spun text has it) stands for ``original``."""

    spun: str
    original: str
    name_phrase: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return " ".join(map(token_key, self.spun.split())), " ".join(map(token_key, self.original.split()))


def _letters(word: str) -> str:
    return "".join(c for c in word.lower() if c.isalpha())


def is_spelling_variant(a: str, b: str, ratio: float = LearnSettings.spelling_ratio) -> bool:
    """Same word up to spelling, hyphens or punctuation ("authorised"/"authorized")."""
    x, y = _letters(a), _letters(b)
    if x == y:
        return True
    if min(len(x), len(y)) < 4 or x[0] != y[0]:
        return False
    return difflib.SequenceMatcher(None, x, y).ratio() >= ratio


def _same_lemma(a: str, b: str) -> bool:
    lemmas = lambda w: {lemma.lower() for found in getAllLemmas(w).values() for lemma in found}  # noqa: E731
    return bool(lemmas(a) & lemmas(b))


def _trim(a: list[Span], b: list[Span], ratio: float) -> tuple[list[Span], list[Span]]:
    """Drop spelling-variant token pairs from both edges of a block."""
    while a and b and is_spelling_variant(a[0].text, b[0].text, ratio):
        a, b = a[1:], b[1:]
    while a and b and is_spelling_variant(a[-1].text, b[-1].text, ratio):
        a, b = a[:-1], b[:-1]
    return a, b


def _capitalised(spans: Sequence[Span], first: int) -> bool:
    """Some token is capitalised other than at sentence start (index 0): part of a name."""
    return any(t.text[:1].isupper() for i, t in enumerate(spans) if i + first > 0)


def _name_phrase(a: Sequence[Span], b: Sequence[Span], i1: int, i2: int, j1: int, j2: int,
                 max_words: int) -> tuple[int, int, int, int] | None:
    """Widen a 1:1 swap inside a name to the capitalised mid-sentence tokens shared by both sides."""
    widened = (i1, i2, j1, j2)
    while (i1 > 1 and j1 > 1 and a[i1 - 1].text == b[j1 - 1].text and a[i1 - 1].text[:1].isupper()
           and max(i2 - i1, j2 - j1) < max_words):
        i1, j1 = i1 - 1, j1 - 1
    while (i2 < len(a) and j2 < len(b) and a[i2].text == b[j2].text and a[i2].text[:1].isupper()
           and max(i2 - i1, j2 - j1) < max_words):
        i2, j2 = i2 + 1, j2 + 1
    return None if (i1, i2, j1, j2) == widened else (i1, i2, j1, j2)


def extract_substitutions(spun: str, original: str, settings: LearnSettings = LearnSettings()
                          ) -> list[Substitution]:
    """Candidate swaps of one pair, before counting and relatedness (noise rules 1-4 applied)."""
    found: list[Substitution] = []
    for pair in align_sentences(spun, original, settings.min_similarity):
        a, b = tokenize(pair.a.text), tokenize(pair.b.text)
        for block in diff_tokens([token_key(t.text) for t in a], [token_key(t.text) for t in b]):
            sub = _block_substitution(a, b, block.a_start, block.a_end, block.b_start, block.b_end, settings)
            if sub is not None:
                found.append(sub)
    return found


def _block_substitution(a: Sequence[Span], b: Sequence[Span], i1: int, i2: int, j1: int, j2: int,
                        settings: LearnSettings) -> Substitution | None:
    left, right = _trim(list(a[i1:i2]), list(b[j1:j2]), settings.spelling_ratio)
    if not left or not right or len(left) > settings.max_words or len(right) > settings.max_words:
        return None
    if not all(t.is_word for t in left + right):
        return None
    if len(left) == len(right) == 1 and _same_lemma(left[0].text, right[0].text):
        return None
    i1, i2 = a.index(left[0]), a.index(left[-1]) + 1
    j1, j2 = b.index(right[0]), b.index(right[-1]) + 1
    widened = None
    if _capitalised(a[i1:i2], i1) or _capitalised(b[j1:j2], j1):
        # Names are not spun by rewording: only a 1:1 swap inside a shared name phrase counts.
        widened = _name_phrase(a, b, i1, i2, j1, j2, settings.max_words) if i2 - i1 == j2 - j1 else None
        if widened is None:
            return None
        i1, i2, j1, j2 = widened
    join = lambda spans: " ".join(t.text for t in spans)  # noqa: E731
    return Substitution(join(a[i1:i2]), join(b[j1:j2]), widened is not None)


def _content_words(phrase: str) -> list[str]:
    return [w for w in phrase.split() if getAllLemmas(w)] or phrase.split()


def is_related(spun: str, original: str, relatedness: Relatedness | None) -> bool:
    """A word of each side are thesaurus neighbours (content words of phrases first)."""
    if relatedness is None:
        return False
    return any(relatedness.related(x, y) for x in _content_words(spun) for y in _content_words(original))


FUNCTION_WORD_ZIPF = 6.0  # about the 250 most frequent English words: articles, prepositions, conjunctions


def _both_function_words(spun: str, original: str) -> bool:
    """Two single very frequent words ("after" -> "and", "to" -> "of"): where the aligner most often pairs
    words that no spinner swapped. The function words a spinner does swap are related ("each" -> "every")."""
    from wordfreq import zipf_frequency

    return (" " not in spun and " " not in original
            and min(zipf_frequency(spun, "en"), zipf_frequency(original, "en")) >= FUNCTION_WORD_ZIPF)


def inflected_pairs(spun: str, original: str) -> list[tuple[str, str]]:
    """Other inflected forms of a one-word swap, paired by Penn tag through a shared lemma POS."""
    pairs: list[tuple[str, str]] = []
    spun_lemmas, orig_lemmas = getAllLemmas(spun), getAllLemmas(original)
    for upos in sorted(set(spun_lemmas) & set(orig_lemmas)):
        s_forms = getAllInflections(spun_lemmas[upos][0], upos)
        o_forms = getAllInflections(orig_lemmas[upos][0], upos)
        shared = [tag for tag in s_forms if tag in o_forms]
        if not any(spun in s_forms[tag] and original in o_forms[tag] for tag in shared):
            continue
        pairs.extend((s_forms[tag][0], o_forms[tag][0]) for tag in shared)
        pairs.append((spun_lemmas[upos][0], orig_lemmas[upos][0]))
    # A form equal to the observed one on either side is ambiguous (uncountable nouns): skip it.
    return [(s, o) for s, o in dict.fromkeys(pairs) if s != o and s != spun and o != original]


def learn_entries(pairs: Iterable[tuple[str, str]], relatedness: Relatedness | None = None,
                  settings: LearnSettings = LearnSettings()) -> list[LexiconEntry]:
    """Count the accepted swaps over ``pairs`` of (spun, original) texts as lexicon entries."""
    counts: Counter[tuple[str, str]] = Counter()
    names: set[tuple[str, str]] = set()
    for spun, original in pairs:
        for sub in extract_substitutions(spun, original, settings):
            counts[sub.key] += 1
            if sub.name_phrase:
                names.add(sub.key)
    entries: dict[tuple[str, str], LexiconEntry] = {}
    for (spun, original), count in sorted(counts.items()):
        related = is_related(spun, original, relatedness)
        if not related and (count < settings.min_count or _both_function_words(spun, original)):
            logger.debug("rejected %r -> %r (unrelated, seen %d)", spun, original, count)
            continue
        note = "name" if (spun, original) in names else "related" if related else "repeated"
        entries[spun, original] = LexiconEntry(spun, original, float(count), f"mined {note}")
        if " " not in spun and " " not in original and (spun, original) not in names:
            for s, o in inflected_pairs(spun, original):
                weight = settings.inflection_weight * count
                if (s, o) not in entries or entries[s, o].weight < weight:
                    entries[s, o] = LexiconEntry(s, o, weight, f"inflection of {spun}->{original}")
    return sorted(entries.values(), key=lambda e: (e.spun, e.original))


def learn_lexicon(pairs: Iterable[tuple[str, str]], output: Path, name: str, source: str,
                  relatedness: Relatedness | None = None, settings: LearnSettings = LearnSettings(),
                  extra_entries: Sequence[LexiconEntry] = (), extra_header: dict[str, str] | None = None
                  ) -> Path:
    """Learn from ``pairs`` and write the lexicon (``weights: count``) to ``output``."""
    entries = learn_entries(pairs, relatedness, settings)
    known = {(e.spun, e.original) for e in entries}
    entries += [e for e in extra_entries if (e.spun, e.original) not in known]
    header = LexiconHeader(name=name, source=source, licence="Apache-2.0 (word pairs derived by unspin)",
                           version="1", weights="count",
                           extra={"learner": settings.describe(),
                                  "relatedness": relatedness.name if relatedness else "none",
                                  **(extra_header or {})})
    logger.info("learned %d entries into %s", len(entries), output)
    return write_lexicon(output, header, entries)


def read_text_pairs(spun: Path, original: Path) -> list[tuple[str, str]]:
    """(spun, original) texts from two files, or from two folders of same-named files."""
    if spun.is_file() and original.is_file():
        return [(spun.read_text(encoding="utf-8"), original.read_text(encoding="utf-8"))]
    if spun.is_dir() and original.is_dir():
        names = sorted({p.name for p in spun.iterdir()} & {p.name for p in original.iterdir()})
        if names:
            return [((spun / n).read_text(encoding="utf-8"), (original / n).read_text(encoding="utf-8"))
                    for n in names]
        raise FileNotFoundError(f"no same-named files in {spun} and {original}")
    raise FileNotFoundError(f"need two files or two folders: {spun}, {original}")
