"""A masked LM as scorer: pseudo log-likelihood of a slot's tokens, masked, in the full context."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from unspin.restoring.scoring.models import ModelError
from unspin.restoring.scoring.protocol import Request, cached_encoder


@dataclass
class MaskedUnit:
    pieces: list[list[int]]


class MaskedLMScorer:
    """Scores readings with a masked LM: pseudo log-likelihood of each slot's tokens, masked."""

    def __init__(self, model: Any, tokenizer: Any, name: str = "", batch_size: int = 32):
        import torch

        if tokenizer.mask_token_id is None:
            raise ModelError("this masked LM's tokenizer has no mask token")
        self.torch = torch
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = name or getattr(model.config, "_name_or_path", "masked-lm")
        self.batch_size = batch_size
        self.encode = cached_encoder(tokenizer)
        self.max_length = min(getattr(model.config, "max_position_embeddings", 512), 512) - 2

    def prepare(self, pieces: Sequence[str]) -> MaskedUnit:
        return MaskedUnit([list(self.encode(piece)) for piece in pieces])

    def score(self, state: MaskedUnit, first: int, last: int, readings: Sequence[Sequence[str]]) -> list[float]:
        rows: list[tuple[list[int], list[int], list[int], int]] = []  # ids, masked positions, targets, reading
        for number, reading in enumerate(readings):
            pieces = list(state.pieces)
            for offset, text in enumerate(reading):
                pieces[2 * (first + offset) + 1] = list(self.encode(text))
            for offset in range(len(reading)):
                index = 2 * (first + offset) + 1
                before = sum(len(p) for p in pieces[:index])
                span = list(range(before, before + len(pieces[index])))
                ids = [t for p in pieces for t in p]
                rows.append((ids, span, pieces[index], number))
        scores = [0.0] * len(readings)
        for begin in range(0, len(rows), self.batch_size):
            for (_, _, _, number), value in zip(rows[begin : begin + self.batch_size],
                                                self._masked_scores(rows[begin : begin + self.batch_size])):
                scores[number] += value
        return scores

    def score_batch(self, state: MaskedUnit, requests: Sequence[Request]) -> list[list[float]]:
        return [self.score(state, first, last, readings) for first, last, readings in requests]

    def _masked_scores(self, rows: list[tuple[list[int], list[int], list[int], int]]) -> list[float]:
        torch, tokenizer = self.torch, self.tokenizer
        windows = [self._window(ids, span) for ids, span, _, _ in rows]
        length = max(len(ids) for ids, _ in windows) + 2
        inputs = torch.full((len(rows), length), tokenizer.pad_token_id or 0, dtype=torch.long)
        attention = torch.zeros_like(inputs)
        for row, (ids, span) in enumerate(windows):
            full = [tokenizer.cls_token_id or tokenizer.bos_token_id] + ids + [
                tokenizer.sep_token_id or tokenizer.eos_token_id]
            inputs[row, : len(full)] = torch.tensor(full)
            attention[row, : len(full)] = 1
            for position in span:
                inputs[row, position + 1] = tokenizer.mask_token_id
        with torch.inference_mode():
            logits = self.model(input_ids=inputs, attention_mask=attention).logits.float().log_softmax(-1)
        totals = []
        for row, ((_, span), (_, _, targets, _)) in enumerate(zip(windows, rows)):
            totals.append(sum(float(logits[row, p + 1, t]) for p, t in zip(span, targets)))
        return totals

    def _window(self, ids: list[int], span: list[int]) -> tuple[list[int], list[int]]:
        """Cut long units around the slot so that they fit the model."""
        if len(ids) <= self.max_length or not span:
            return ids, span
        start = max(0, min(span[0] - self.max_length // 2, len(ids) - self.max_length))
        return ids[start : start + self.max_length], [p - start for p in span]
