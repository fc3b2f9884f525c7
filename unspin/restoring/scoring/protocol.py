"""What every scorer offers the decoder, and the memoised encoder the backends share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Protocol


class Scorer(Protocol):
    """Scores readings of the slots of a unit; higher is more likely.

    A scorer may also offer ``prepare_many`` and ``score_many`` (several units at once) and
    ``first_difference`` (a free preview that lets the decoder drop hopeless readings); the
    decoder uses them where present, as :class:`CausalLMScorer` does.
    """

    name: str

    def prepare(self, pieces: Sequence[str]) -> Any:
        """Run whatever can be shared by all readings of the unit (``pieces`` as they stand)."""

    def score(self, state: Any, first: int, last: int, readings: Sequence[Sequence[str]]) -> list[float]:
        """Log-score of each reading of slots ``first..last`` (slot indices, 0-based)."""

    def score_batch(self, state: Any, requests: Sequence[Request]) -> list[list[float]]:
        """:meth:`score` for several ``(first, last, readings)`` requests of one unit at once."""


Request = tuple[int, int, Sequence[Sequence[str]]]


def cached_encoder(tokenizer: Any) -> Callable[[str], tuple[int, ...]]:
    """Text -> token ids without special tokens, memoised (the same readings recur all document long)."""

    @lru_cache(maxsize=131072)
    def encode(text: str) -> tuple[int, ...]:
        return tuple(tokenizer(text, add_special_tokens=False)["input_ids"]) if text else ()

    return encode
