"""Stage 2: tokens -> candidate lattice.

Each :class:`Slot` is a stretch of the input (one to four tokens) that a lexicon says may
be spun, with the readings it could have had (:class:`Option`). Option 0 always keeps the
text. Overlapping proposals ("White Home" as a phrase, "Home" alone) merge into one slot
whose options cover the whole stretch. Inflection and casing of the spun text carry over
to each proposed original.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from unspin.lexicon.format import Lexicon, lexicon_dir
from unspin.lexicon.related import CLOSE, LISTED, LOOSE, SYNONYM, RelatedWords
from unspin.text.tokens import Span

MAX_OPTIONS = 5  # readings per slot that reach the language model, keep included
# The model's own proposals: at most this many related words per slot go to the decoder, which
# keeps those the model finds likely at that place (a free preview) up to MAX_OPTIONS in all.
MAX_PROPOSALS = 200
MODEL_PROPOSALS = "model"  # the channel of the model's proposals, beside the lexicons'
# Proposals whose original is a function word ("while" for "whereas", "against" for "towards"):
# a channel of their own, with a far lower prior rate, so that only a learned lexicon or the
# document's evidence (the same swap, clear in several places) makes such an edit.
FUNCTION_PROPOSALS = "function"
# P(spun | original) of a related word: a spinner picks one of an original's many thesaurus links.
PROPOSAL_CHANNEL = 0.03  # 0.1 on the dev pairs: 87 right edits, 24 wrong; 6 edits on clean news. 0.03: 73, 17; 2
# ... times the weight of the link's strength: how much likelier a spinner's swaps are to have a
# link of that strength than a candidate is (benchmarks/relations.py on the training pairs, 127
# linked one-word swaps: close synonyms 29% of swaps, 5% of candidates; the development pairs agree).
LINK_WEIGHTS = {CLOSE: 6.0, SYNONYM: 1.1, LISTED: 0.5, LOOSE: 0.2}
# The model's candidates may be rarer than the spun word by this much (Zipf units): "purchase" for
# "buy", "global" for "world"; the model's preview, not the frequency, decides among them.
PROPOSAL_FREQUENCY_MARGIN = 1.0
# A thesaurus proposes every synonym; spinners swap a word for one about as common or rarer
# ("said" -> "mentioned"), so a diffuse lexicon's original may be at most this much rarer
# (Zipf units) than the spun word it would explain.
FREQUENCY_MARGIN = 0.5


@dataclass(frozen=True)
class Option:
    """One reading of a slot and its channel terms.

    The channel log-probability of the reading is ``lexical + replaced * log(rho) +
    kept * log(1 - keep_rho)``: ``lexical`` sums log P(spun | original) over the replaced
    units, ``replaced`` counts them and ``kept`` counts the spinnable words of the slot left
    as they are; ``rho`` is the rate at which the document's spinner applies this option's
    lexicon and ``keep_rho`` the highest rate among the lexicons that propose anything here.
    ``fingerprint``: the reading undoes a fingerprint (a tortured phrase), which the decoder always scores.
    """

    text: str
    lexical: float
    replaced: int
    kept: int
    lexicon: str = ""
    fingerprint: bool = False

    def channel(self, rho: float, keep_rho: float | None = None) -> float:
        keep_rho = rho if keep_rho is None else keep_rho
        return self.lexical + self.replaced * math.log(rho) + self.kept * math.log1p(-keep_rho)


@dataclass(frozen=True)
class Slot:
    start: int
    end: int
    text: str
    options: tuple[Option, ...]

    @property
    def keep(self) -> Option:
        return self.options[0]

    @cached_property
    def lexicons(self) -> frozenset[str]:
        """The lexicons that propose a reading here."""
        return frozenset(option.lexicon for option in self.options[1:])


@dataclass
class Vocabulary:
    """Word facts the channel model needs: which words a spinner never touches."""

    immutables: frozenset[str]
    excluded: frozenset[str] = field(default_factory=frozenset)

    def spinnable(self, word: str) -> bool:
        lowered = word.lower().replace("’", "'")
        return (lowered[:1].isalpha() and lowered not in self.immutables and lowered not in self.excluded)

    @classmethod
    def default(cls, excluded: frozenset[str] = frozenset()) -> Vocabulary:
        return cls(load_immutables(), excluded)


def load_immutables(path: Path | None = None) -> frozenset[str]:
    path = path or lexicon_dir() / "immutables.txt"
    with open(path, encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip() and not line.startswith("#"))


MEMO_ENTRIES = 50_000  # a memo past this size starts afresh (tens of MB at most)


def build_lattice(text: str, tokens: Sequence[Span], lexicons: Sequence[Lexicon], vocabulary: Vocabulary,
                  memo: dict | None = None, related: RelatedWords | None = None) -> list[Slot]:
    """Propose originals for every stretch of ``tokens`` (spans of ``text``) that a lexicon knows.

    ``memo`` (a dict kept by the caller for these lexicons and vocabulary) remembers the
    proposals for each stretch of words: the same words recur all through a document and
    from one document to the next. With ``related``, every spinnable word also gets the words
    related to it as candidates of the model's channel (:data:`MODEL_PROPOSALS`), for the
    decoder to keep where the model finds them likely.
    """
    if memo is not None and len(memo) > MEMO_ENTRIES:
        memo.clear()
    max_words = max((lexicon.max_words for lexicon in lexicons), default=1)
    proposals: list[tuple[int, int, Sequence[Option]]] = []
    for first in range(len(tokens)):
        for last in range(first, min(first + max_words, len(tokens))):
            span = tokens[first : last + 1]
            if not (span[0].is_word and span[-1].text[:1].isalnum()):
                continue
            if any(t.text.lower() in vocabulary.excluded for t in span):
                break
            # Function words are left alone unless a learned spinner was seen swapping them
            # ("However" -> "But", "upon" -> "on"): then only learned lexicons propose.
            learned_only = first == last and not vocabulary.spinnable(span[0].text)
            key = (tuple(t.text for t in span), learned_only)
            options = memo.get(key) if memo is not None else None
            if options is None:
                sources = [lexicon for lexicon in lexicons if lexicon.header.weights == "count"
                           ] if learned_only else lexicons
                options = tuple(_propose(span, sources, vocabulary)) if sources else ()
                if memo is not None:
                    memo[key] = options
            if options:
                proposals.append((first, last, options))
        if related is not None:
            proposals += _related_proposals(tokens, first, related, vocabulary, memo)
    # A fingerprint explains its words: no proposal that rewrites a part of it (and keeps the rest) competes
    # ("secret node" is "hidden node"; "light node", or "in the dark node" for "in secret node", would make the
    # listed phrase a coincidence). Proposals for the whole phrase, or more, stay.
    fingerprints = [(first, last) for first, last, options in proposals if any(o.fingerprint for o in options)]
    if fingerprints:
        proposals = [(first, last, options) for first, last, options in proposals
                     if any(o.fingerprint for o in options)
                     or not any(first <= end and start <= last and not (first <= start and end <= last)
                                for start, end in fingerprints)]
    return _merge(text, tokens, proposals, vocabulary)


# A capitalised word is a name, or starts a sentence; a spinner rewrites the common words of names
# ("Nippon Metal" for "Nippon Steel") but has no synonym for a rare one ("Nippon").
NAME_MIN_ZIPF = 4.0


def _proposable(word: str, vocabulary: Vocabulary) -> bool:
    """Whether the model may propose originals for ``word``."""
    if word.lower() in vocabulary.excluded or not word[:1].isalpha():
        return False
    return not word[:1].isupper() or _zipf(word.lower()) >= NAME_MIN_ZIPF


MAX_RELATED_WORDS = 3  # longest spun phrase the related-words table knows ("by way of")


def _related_proposals(tokens: Sequence[Span], first: int, related: RelatedWords, vocabulary: Vocabulary,
                       memo: dict | None) -> list[tuple[int, int, Sequence[Option]]]:
    """The model's candidates for the stretches of words that start at ``tokens[first]``."""
    found: list[tuple[int, int, Sequence[Option]]] = []
    if not (tokens[first].is_word and _proposable(tokens[first].text, vocabulary)):
        return found
    for last in range(first, min(first + MAX_RELATED_WORDS, len(tokens))):
        if not tokens[last].is_word or tokens[last].text.lower() in vocabulary.excluded:
            break
        words = tuple(t.text for t in tokens[first : last + 1])
        options = memo.get((words, "related")) if memo is not None else None
        if options is None:
            options = tuple(_propose_related(words, related, vocabulary))
            if memo is not None:
                memo[(words, "related")] = options
        if options:
            found.append((first, last, options))
    return found


def _propose_related(words: Sequence[str], related: RelatedWords, vocabulary: Vocabulary) -> list[Option]:
    """Words and phrases related to ``words`` (through a lemma, re-inflected), about as common or more."""
    key = " ".join(w.lower().replace("’", "'") for w in words)
    floor = _zipf(key) - PROPOSAL_FREQUENCY_MARGIN
    found: dict[str, Option] = {}
    spinnable = len(words) > 1 or vocabulary.spinnable(words[0])
    for lookup, tag, position in [(key, "", 0), *_lemma_keys(words)]:
        for original, strength in related.links(lookup):
            inflected = _inflect_phrase(original, tag, position) if tag else original
            if not inflected or _zipf(inflected) < floor:
                continue
            channel = PROPOSAL_CHANNEL * LINK_WEIGHTS[strength]
            if vocabulary.spinnable(inflected):
                if spinnable:  # a function word is never the spinner's synonym for a content word
                    _add(found, inflected, channel, MODEL_PROPOSALS, words, vocabulary)
            else:
                _add(found, inflected, channel, FUNCTION_PROPOSALS, words, vocabulary, learned=True)
    return sorted(found.values(), key=_prior, reverse=True)[:MAX_PROPOSALS]


@lru_cache(maxsize=1)
def shipped_related() -> RelatedWords:
    """The shipped related-words table, read once per process."""
    return RelatedWords.load()


def _propose(span: Sequence[Span], lexicons: Sequence[Lexicon], vocabulary: Vocabulary) -> list[Option]:
    words = [t.text for t in span]
    key = " ".join(w.lower().replace("’", "'") for w in words)
    found: dict[str, Option] = {}
    for lexicon in lexicons:
        floor = _zipf(key) - FREQUENCY_MARGIN if lexicon.prior == "probability" else -1.0
        learned, fingerprint = lexicon.header.weights == "count", lexicon.prior == "fingerprint"
        for candidate in lexicon.candidates(key):
            if _zipf(candidate.original) >= floor:
                _add(found, candidate.original, candidate.channel, lexicon.name, words, vocabulary, learned,
                     fingerprint)
        for lemma_key, tag, position in _lemma_keys(words):
            for candidate in lexicon.candidates(lemma_key):
                inflected = _inflect_phrase(candidate.original, tag, position)
                if inflected and _zipf(inflected) >= floor:
                    _add(found, inflected, candidate.channel, lexicon.name, words, vocabulary, learned, fingerprint)
    return list(found.values())


@lru_cache(maxsize=262144)
def _zipf(phrase: str) -> float:
    """Word frequency of a phrase: that of its rarest word (Zipf scale, 0 for unknown)."""
    from wordfreq import zipf_frequency

    words = phrase.lower().split()
    return min(zipf_frequency(w, "en") for w in words) if words else 0.0


def _add(found: dict[str, Option], original: str, channel: float, lexicon: str, words: Sequence[str],
         vocabulary: Vocabulary, learned: bool = False, fingerprint: bool = False) -> None:
    if " " not in original and not vocabulary.spinnable(original) and not learned:
        return  # a thesaurus spinner never writes a synonym for "be", "the", ...
    text = transfer_case(words, original)
    if text.lower() == " ".join(words).lower() or channel <= 0:
        return
    option = Option(text, math.log(channel), 1, 0, lexicon, fingerprint)
    if text not in found or _stronger(option, found[text]):
        found[text] = option


def _stronger(option: Option, other: Option) -> bool:
    """Of two ways to the same reading, the fingerprint's, else the likelier channel's."""
    return (option.fingerprint, option.lexical) > (other.fingerprint, other.lexical)


def _lemma_keys(words: Sequence[str]) -> list[tuple[str, str, int]]:
    """Keys with the first or last word lemmatised, each with its Penn tag and position."""
    keys: list[tuple[str, str, int]] = []
    positions = {0, len(words) - 1}
    for position in sorted(positions):
        for lemma, tag in analyses(words[position].lower()):
            lowered = [w.lower().replace("’", "'") for w in words]
            if lemma == lowered[position]:
                continue
            lowered[position] = lemma
            keys.append((" ".join(lowered), tag, position))
    return keys


@lru_cache(maxsize=65536)
def analyses(word: str) -> tuple[tuple[str, str], ...]:
    """(lemma, Penn tag) readings of an inflected word, by lemminflect."""
    from lemminflect import getAllInflections, getAllLemmas

    found: list[tuple[str, str]] = []
    for upos, lemmas in getAllLemmas(word).items():
        for lemma in lemmas:
            for tag, forms in getAllInflections(lemma, upos=upos).items():
                if word in forms and tag not in ("VB", "VBP", "NN", "JJ", "RB"):
                    found.append((lemma, tag))
    return tuple(dict.fromkeys(found))


@lru_cache(maxsize=65536)
def inflect(lemma: str, tag: str) -> str | None:
    from lemminflect import getInflection

    forms = getInflection(lemma, tag=tag)
    return forms[0] if forms else None


def _inflect_phrase(original: str, tag: str, position: int) -> str | None:
    parts = original.split()
    index = 0 if position == 0 else len(parts) - 1
    form = inflect(parts[index], tag)
    if not form:
        return None
    parts[index] = form
    return " ".join(parts)


def transfer_case(spun_words: Sequence[str], original: str) -> str:
    """Give ``original`` the casing pattern of the spun words it replaces."""
    parts = original.split()
    letters = [w for w in spun_words if any(c.isalpha() for c in w)]
    if letters and all(w.isupper() for w in letters) and any(len(w) > 1 for w in letters):
        return original.upper()
    if letters and all(w[:1].isupper() for w in letters) and len(letters) > 1:
        return " ".join(_capitalize(p) if p.islower() or len(p) > 3 else p for p in parts)
    if spun_words and spun_words[0][:1].isupper():
        parts[0] = _capitalize(parts[0])
    return " ".join(parts)


def _capitalize(word: str) -> str:
    return word[:1].upper() + word[1:]


def _merge(text: str, tokens: Sequence[Span], proposals: list[tuple[int, int, Sequence[Option]]], vocabulary: Vocabulary
           ) -> list[Slot]:
    """Merge overlapping proposals into slots whose options span the whole stretch."""
    proposals.sort(key=lambda p: (p[0], p[1]))
    groups: list[list[tuple[int, int, Sequence[Option]]]] = []
    group_end = -1
    for proposal in proposals:
        if groups and proposal[0] <= group_end:
            groups[-1].append(proposal)
            group_end = max(group_end, proposal[1])
        else:
            groups.append([proposal])
            group_end = proposal[1]
    return [_slot(text, tokens, group, vocabulary) for group in groups]


def _slot(text: str, tokens: Sequence[Span], group: list[tuple[int, int, Sequence[Option]]],
          vocabulary: Vocabulary) -> Slot:
    first = min(p[0] for p in group)
    last = max(p[1] for p in group)
    start, end = tokens[first].start, tokens[last].end
    spinnable = [vocabulary.spinnable(t.text) for t in tokens[first : last + 1]]
    options: dict[str, Option] = {}
    for p_first, p_last, proposal_options in group:
        before = text[start : tokens[p_first].start]
        after = text[tokens[p_last].end : end]
        kept = sum(spinnable[: p_first - first]) + sum(spinnable[p_last - first + 1 :])
        for option in proposal_options:
            candidate = Option(before + option.text + after, option.lexical, option.replaced, kept,
                               option.lexicon, option.fingerprint)
            if candidate.text not in options or _stronger(candidate, options[candidate.text]):
                options[candidate.text] = candidate
    keep = Option(text[start:end], 0.0, 0, sum(spinnable), "")
    proposals = (MODEL_PROPOSALS, FUNCTION_PROPOSALS)
    # A fingerprint's reading is never cut for a thesaurus's ("tick audience": "a checkbox", not "tick hearing").
    ranked = sorted((o for o in options.values() if o.lexicon not in proposals),
                    key=lambda o: (o.fingerprint, _prior(o)), reverse=True)
    ranked = ranked[: MAX_OPTIONS - 1]
    known = {option.text for option in ranked}
    proposed = sorted((o for o in options.values() if o.lexicon in proposals and o.text not in known),
                      key=_prior, reverse=True)[:MAX_PROPOSALS]
    return Slot(start, end, text[start:end], (keep, *ranked, *proposed))


def _prior(option: Option) -> float:
    """Cheap ranking before the model: channel weight times the reading's word frequency."""
    return option.lexical + math.log(10) * _zipf(option.text)
