"""Alignment of two versions of a text: sentences first, then tokens.

Two texts of one story may differ by whole inserted, dropped or merged sentences (an
independently edited copy) as well as by word swaps (a spun copy).
:func:`align_sentences` pairs groups of sentences by a monotone dynamic programme and
keeps only the pairs whose token similarity is high enough; :func:`diff_tokens` then
aligns the tokens of one pair with :mod:`difflib` and returns the differing blocks.

Token keys are compared case-insensitively with straight apostrophes (:func:`token_key`).
Blocks that replace n tokens by n tokens are split into n one-token blocks, because a
spinner swaps words one at a time; blocks of unequal lengths stay whole (n:m phrases).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from unspin.text.tokens import Span, split_sentences, tokenize

# Sentence groups the aligner may pair: one to one, merges and splits of two.
_GROUP_SHAPES = ((1, 1), (1, 2), (2, 1))
DEFAULT_MIN_SIMILARITY = 0.5


def token_key(text: str) -> str:
    """The comparison key of a token or phrase: lower case, straight apostrophes."""
    return text.lower().replace("’", "'").replace("‘", "'")


@dataclass(frozen=True)
class Block:
    """A differing block: tokens ``a[a_start:a_end]`` stand where ``b[b_start:b_end]`` stand.

    Indices are token positions; one side may be empty (an insertion or a deletion).
    """

    a_start: int
    a_end: int
    b_start: int
    b_end: int

    @property
    def size(self) -> int:
        """Token errors this block stands for: the longer of its two sides."""
        return max(self.a_end - self.a_start, self.b_end - self.b_start)


@dataclass(frozen=True)
class SentencePair:
    """Aligned regions: ``a`` and ``b`` are character spans (one or two sentences each)."""

    a: Span
    b: Span
    similarity: float


def _opcodes(a: Sequence[str], b: Sequence[str]) -> list[tuple[str, int, int, int, int]]:
    return difflib.SequenceMatcher(None, list(a), list(b), autojunk=False).get_opcodes()


def diff_tokens(a: Sequence[str], b: Sequence[str]) -> list[Block]:
    """The differing blocks between two key sequences, n:n replacements split into 1:1."""
    blocks: list[Block] = []
    for tag, i1, i2, j1, j2 in _opcodes(a, b):
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            blocks.extend(Block(i1 + k, i1 + k + 1, j1 + k, j1 + k + 1) for k in range(i2 - i1))
        else:
            blocks.append(Block(i1, i2, j1, j2))
    return blocks


def token_errors(a: Sequence[str], b: Sequence[str]) -> int:
    """Token errors of ``a`` against ``b``: the sum of the differing blocks' sizes."""
    return sum(block.size for block in diff_tokens(a, b))


def boundary_map(a: Sequence[str], b: Sequence[str]) -> dict[int, int]:
    """Token boundaries of ``a`` (0..len(a)) that have a well-defined place in ``b``.

    A boundary inside an equal run or at a block edge maps; one inside a replacement
    block of unequal lengths does not (after the 1:1 split, inside n:n blocks it does).
    """
    mapping: dict[int, int] = {}
    for tag, i1, i2, j1, j2 in _opcodes(a, b):
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            mapping.update({i1 + k: j1 + k for k in range(i2 - i1 + 1)})
        else:
            mapping.setdefault(i1, j1)
            mapping[i2] = j2
    return mapping


def similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """Token similarity of two key sequences: 2 * matching tokens / total tokens."""
    if not a and not b:
        return 1.0
    return difflib.SequenceMatcher(None, list(a), list(b), autojunk=False).ratio()


def _keys(span: Span) -> list[str]:
    return [token_key(t.text) for t in tokenize(span.text)]


def _joined(text: str, spans: Sequence[Span]) -> Span:
    start, end = spans[0].start, spans[-1].end
    return Span(start, end, text[start:end])


def align_sentences(a_text: str, b_text: str, min_similarity: float = DEFAULT_MIN_SIMILARITY
                    ) -> list[SentencePair]:
    """Pair sentences (or groups of two) of ``a_text`` and ``b_text`` in order.

    The programme maximises the sum over pairs of ``2 * matches - min_similarity * tokens``,
    i.e. ``tokens * (similarity - min_similarity)``: a pair helps only if its similarity
    exceeds ``min_similarity``, and sentences found in one text only are skipped at no cost.
    """
    a_sents, b_sents = split_sentences(a_text), split_sentences(b_text)
    a_keys = [_keys(s) for s in a_sents]
    b_keys = [_keys(s) for s in b_sents]
    n, m = len(a_sents), len(b_sents)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int, float] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        for j in range(m + 1):
            options: list[tuple[float, tuple[int, int, float] | None]] = []
            if i:
                options.append((best[i - 1][j], (1, 0, 0.0)))
            if j:
                options.append((best[i][j - 1], (0, 1, 0.0)))
            for da, db in _GROUP_SHAPES:
                if i >= da and j >= db:
                    ka = [k for keys in a_keys[i - da : i] for k in keys]
                    kb = [k for keys in b_keys[j - db : j] for k in keys]
                    sim = similarity(ka, kb)
                    gain = (len(ka) + len(kb)) * (sim - min_similarity)
                    if sim >= min_similarity and gain > 0:
                        options.append((best[i - da][j - db] + gain, (da, db, sim)))
            if options:
                best[i][j], back[i][j] = max(options, key=lambda o: o[0])
    pairs: list[SentencePair] = []
    i, j = n, m
    while i or j:
        step = back[i][j]
        assert step is not None
        da, db, sim = step
        if da and db:
            pairs.append(SentencePair(_joined(a_text, a_sents[i - da : i]),
                                      _joined(b_text, b_sents[j - db : j]), sim))
        i, j = i - da, j - db
    return pairs[::-1]
