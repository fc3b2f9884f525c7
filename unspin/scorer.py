"""Stage 3: language-model scores for the readings of a unit of text.

A unit (a paragraph, or a piece of a long one) is a list of pieces ``[gap, slot, gap,
slot, ..., gap]``; a slot piece carries its leading white space, so that word-initial
sub-word tokens stay as the model saw them in training. The decoder asks for the
log-probability of the text from one slot to another with given readings (plus a short
window of the following text, which is what tells "finish the war more" from "finish the
warfare extra").

Two backends share this protocol: a causal LM (prefix computed once per unit and reused
from a KV cache; only the variant stretch is run again) and a masked LM (pseudo
log-likelihood of the slot's tokens, masked, in the full context). torch and
transformers are imported only when a scorer is built.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from unspin.models import ModelError, model_kind, model_label, resolve_model_path

logger = logging.getLogger(__name__)


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


@dataclass
class _CausalUnit:
    pieces: list[list[int]]  # token ids of each piece
    starts: list[int]  # position of each piece's first token (after BOS)
    ids: list[int]  # the unit's tokens, BOS first
    cache: list[tuple[Any, Any]]  # per layer (keys, values) [1, heads, length, width] of the unit
    hidden: Any  # [positions, width] final hidden states: position p predicts token p + 1
    log_norm: list[float]  # per position, log of the softmax normaliser of its hidden state (NaN: not yet needed)
    token_scores: list[float]  # log P(ids[p] | ids[:p]) where log_norm[p - 1] is known

    @property
    def length(self) -> int:
        return len(self.ids)


@dataclass
class _Row:
    """One reading to run through the model: where it departs from the unit as prepared."""

    unit: _CausalUnit
    request: int
    reading: int
    prefix: int  # position of the first token that differs from the prepared unit
    tokens: list[int]  # the reading's tokens from there on, then the window


class CausalLMScorer:
    """Scores readings with a causal LM: log P(reading + window | prefix).

    ``prepare`` runs the unit once, as it stands, and keeps its KV cache, hidden states and
    per-token log-probabilities. A reading that matches the unit costs nothing more; any
    other reading is run only from the first token where it departs from the unit, and the
    log-probability of that token comes from the prepared hidden state (a dot product).
    """

    def __init__(self, model: Any, tokenizer: Any, name: str = "", window: int = 4,
                 tokens_per_call: int = 512):
        import torch

        self.torch = torch
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = name or getattr(model.config, "_name_or_path", "causal-lm")
        self.window = window
        self.tokens_per_call = tokens_per_call
        self.base = model.base_model
        self.head = model.get_output_embeddings()
        self.softcap = getattr(model.config, "final_logit_softcapping", None)
        bos = tokenizer.bos_token_id
        self.bos = bos if bos is not None else tokenizer.eos_token_id
        self.encode = cached_encoder(tokenizer)
        self.blocked = _use_blocked_attention(self.model)
        self._loaded_activations = _use_erf_gelu(self.model)

    @contextmanager
    def model_as_loaded(self) -> Iterator[Any]:
        """The model exactly as transformers built it (its own GELU back), e.g. for a reference pass."""
        running = [(module, module.act_fn) for module, _ in self._loaded_activations]
        for module, activation in self._loaded_activations:
            module.act_fn = activation
        try:
            yield self.model
        finally:
            for module, activation in running:
                module.act_fn = activation

    def _logits(self, hidden: Any) -> Any:
        logits = self.head(hidden).float()
        if self.softcap:
            logits = self.torch.tanh(logits / self.softcap) * self.softcap
        return logits

    def _token_logits(self, hidden: Any, tokens: Any) -> Any:
        """The logit of one given token per hidden state, without the rest of the vocabulary."""
        logits = (hidden.float() * self.head.weight[tokens].float()).sum(-1)
        if getattr(self.head, "bias", None) is not None:
            logits = logits + self.head.bias[tokens].float()
        if self.softcap:
            logits = self.torch.tanh(logits / self.softcap) * self.softcap
        return logits

    def _log_norms(self, hidden: Any, block: int = 8192) -> Any:
        """log sum exp of the logits of each hidden state, a block of the vocabulary at a time.

        The head is the costliest part of scoring on CPU (Gemma's 262k x 640 weights outweigh its
        layers), so every position goes through each block of the head together, while the block
        and its logits still sit in cache, and no [positions x vocabulary] tensor is ever made.
        exp needs no shift while logits stay below ~88 (float32/bfloat16 range); rows where it
        overflows or underflows are redone with the shift.
        """
        torch = self.torch
        weight, bias = self.head.weight, getattr(self.head, "bias", None)
        hidden = hidden.to(weight.dtype)
        totals = torch.zeros(hidden.shape[0], dtype=torch.float32)
        buffer = torch.empty((hidden.shape[0], min(block, weight.shape[0])), dtype=weight.dtype)
        with torch.no_grad():
            for begin in range(0, weight.shape[0], block):
                part = weight[begin : begin + block]
                logits = buffer[:, : part.shape[0]]
                torch.mm(hidden, part.T, out=logits)
                if bias is not None:
                    logits += bias[begin : begin + block]
                if self.softcap:
                    logits.div_(self.softcap).tanh_().mul_(self.softcap)
                # A block's sum rounded to bfloat16 errs by < 0.4%; the blocks' errors average out.
                totals += logits.exp_().sum(-1).float()
        norms = totals.log_()
        unsafe = ~torch.isfinite(norms)
        if bool(unsafe.any()):
            norms[unsafe] = self._shifted_log_norms(hidden[unsafe])
        return norms

    def _shifted_log_norms(self, hidden: Any, chunk: int = 64) -> Any:
        """log sum exp by max + exp + sum, a few positions at a time (safe for any logits)."""
        pieces = []
        with self.torch.no_grad():
            for begin in range(0, hidden.shape[0], chunk):
                logits = self._logits(hidden[begin : begin + chunk])
                top = logits.amax(-1, keepdim=True)
                pieces.append(logits.sub_(top).exp_().sum(-1).log_() + top[:, 0])
        return self.torch.cat(pieces) if pieces else self.torch.zeros(0)

    def prepare(self, pieces: Sequence[str]) -> _CausalUnit:
        return self.prepare_many([pieces])[0]

    def prepare_many(self, units: Sequence[Sequence[str]], tokens_per_batch: int = 2048,
                     scored: Sequence[Sequence[int]] | None = None) -> list[_CausalUnit]:
        """Run each unit once (several per forward call, padded) and keep what its readings share.

        ``scored`` lists, per unit, the slots whose readings will be scored (default: all); the
        normaliser is computed ahead, in one batch, only around those.
        """
        encoded = [[list(self.encode(piece)) for piece in pieces] for pieces in units]
        # Units of similar length share a batch, so that little of it is padding.
        order = sorted(range(len(encoded)), key=lambda i: sum(len(t) for t in encoded[i]))
        states: dict[int, _CausalUnit] = {}
        batch: list[int] = []
        for index in order:
            batch.append(index)
            if sum(len(t) for i in batch for t in encoded[i]) >= tokens_per_batch or index == order[-1]:
                states.update(zip(batch, self._prepare_batch([encoded[i] for i in batch],
                                                             [scored[i] for i in batch] if scored else None)))
                batch = []
        return [states[index] for index in range(len(encoded))]

    def _prepare_batch(self, units: list[list[list[int]]], scored: list[Sequence[int]] | None
                       ) -> list[_CausalUnit]:
        torch = self.torch
        sequences = [[self.bos] + [t for tokens in unit for t in tokens] for unit in units]
        longest = max(len(ids) for ids in sequences)
        inputs = torch.full((len(units), longest), self.bos, dtype=torch.long)
        attention = torch.zeros((len(units), longest), dtype=torch.long)
        for row, ids in enumerate(sequences):
            inputs[row, : len(ids)] = torch.tensor(ids)
            attention[row, : len(ids)] = 1
        from transformers import DynamicCache

        with torch.inference_mode():
            # A cache without the config keeps every position of sliding-window layers too:
            # readings anywhere in a long unit look back into it.
            output = self.base(input_ids=inputs, attention_mask=attention, cache=DynamicCache(), use_cache=True)
        layers = [(layer.keys, layer.values) for layer in output.cache.layers]
        states = []
        for row, (unit, ids) in enumerate(zip(units, sequences)):
            starts, position = [], 1
            for tokens in unit:
                starts.append(position)
                position += len(tokens)
            length = len(ids)
            cache = [(keys[row : row + 1, :, :length], values[row : row + 1, :, :length]) for keys, values in layers]
            hidden = output.last_hidden_state[row, :length]
            states.append(_CausalUnit(unit, starts, ids, cache, hidden, [math.nan] * length, [0.0] * length))
        # The normaliser is needed only where readings are scored: at slots and their windows.
        self._ensure_scores([(state, p) for number, state in enumerate(states)
                             for p in self._scored_positions(state, scored[number] if scored else None)])
        return states

    def _scored_positions(self, state: _CausalUnit, slots: Sequence[int] | None = None) -> list[int]:
        positions: set[int] = set()
        for slot in range(1, len(state.pieces), 2) if slots is None else [2 * s + 1 for s in slots]:
            start = state.starts[slot]
            positions.update(range(start, min(start + len(state.pieces[slot]) + self.window, state.length)))
        return sorted(positions)

    def _ensure_scores(self, wanted: Sequence[tuple[_CausalUnit, int]]) -> None:
        """Fill ``log_norm[p - 1]`` and ``token_scores[p]`` for the wanted token positions ``p``."""
        torch = self.torch
        missing = [(state, p) for state, p in wanted if p > 0 and math.isnan(state.log_norm[p - 1])]
        missing = list({(id(state), p): (state, p) for state, p in missing}.values())
        if not missing:
            return
        with torch.inference_mode():
            hidden = torch.stack([state.hidden[p - 1] for state, p in missing])
            norms = self._log_norms(hidden)
            targets = torch.tensor([state.ids[p] for state, p in missing])
            scores = (self._token_logits(hidden, targets) - norms).tolist()
        for (state, p), norm, score in zip(missing, norms.tolist(), scores):
            state.log_norm[p - 1] = norm
            state.token_scores[p] = score

    def score(self, state: _CausalUnit, first: int, last: int, readings: Sequence[Sequence[str]]) -> list[float]:
        return self.score_batch(state, [(first, last, readings)])[0]

    def first_difference(self, state: _CausalUnit, requests: Sequence[Request]) -> list[list[float]]:
        """Per reading, how much less likely than the prepared unit's token is the reading's
        first differing token, from the prepared left context alone (0.0: same as prepared).

        Free to compute (no model call); the decoder uses it, with a margin, to drop readings
        that the left context already rules out.
        """
        rows, _ = self._rows([(state, request) for request in requests])
        result = [[0.0] * len(readings) for _, _, readings in requests]
        for row, value in zip(rows, self._first_token_scores(rows)):
            prepared = state.token_scores[row.prefix] if row.prefix < state.length else 0.0
            result[row.request][row.reading] = value - prepared
        return result

    def score_batch(self, state: _CausalUnit, requests: Sequence[Request]) -> list[list[float]]:
        return self.score_many([(state, request) for request in requests])

    def score_many(self, items: Sequence[tuple[_CausalUnit, Request]]) -> list[list[float]]:
        """:meth:`score` for requests of any units: the readings that differ from their prepared
        unit go through the model together, each row with its own unit and prefix."""
        rows, scores = self._rows(items)
        values = self._first_token_scores(rows)
        for chunk in self._packs(rows):
            for index, value in zip(chunk, self._continuations([rows[i] for i in chunk])):
                values[index] += value
        for row, value in zip(rows, values):
            scores[row.request][row.reading] += value
        return scores

    def _packs(self, rows: Sequence[_Row]) -> list[list[int]]:
        """Row indices in forward-call packs of about ``tokens_per_call`` queries, each unit's rows
        together; a pack also carries at most ``2 * tokens_per_call`` tokens of unit caches
        (beyond one unit), since the caches are copied end to end for each call and the mask
        spans all of them (as does attention, for a model without unit-by-unit attention)."""
        by_unit = sorted(range(len(rows)), key=lambda i: (rows[i].unit.length, id(rows[i].unit)))
        packs: list[list[int]] = [[]]
        queries, cached, units = 0, 0, set()
        for index in by_unit:
            unit = rows[index].unit
            full = queries >= self.tokens_per_call or cached + unit.length > 2 * self.tokens_per_call
            if id(unit) not in units and full:
                packs.append([])
                queries, cached, units = 0, 0, set()
            if id(unit) not in units:
                units.add(id(unit))
                cached += unit.length
            packs[-1].append(index)
            queries += len(rows[index].tokens) - 1
        return [pack for pack in packs if pack]

    def _span(self, state: _CausalUnit, first: int, last: int) -> tuple[int, int, int]:
        """Token positions where slots first..last start and end, and where their window ends."""
        start = state.starts[2 * first + 1]
        end = state.starts[2 * last + 1] + len(state.pieces[2 * last + 1])
        window_end = min(end + self.window, state.length)
        if 2 * last + 3 < len(state.starts):  # the next slot's reading is itself in doubt
            window_end = min(window_end, max(state.starts[2 * last + 3], end + 1))
        return start, end, window_end

    def _rows(self, items: Sequence[tuple[_CausalUnit, Request]]) -> tuple[list[_Row], list[list[float]]]:
        """Rows for the readings that differ from their prepared unit, and each reading's score
        so far: the prepared log-probabilities of the tokens it shares with the unit."""
        spans = [self._span(state, first, last) for state, (first, last, _) in items]
        self._ensure_scores([(state, p) for (state, _), (start, _, window_end) in zip(items, spans)
                             for p in range(start, window_end)])
        rows: list[_Row] = []
        scores: list[list[float]] = []
        for number, ((state, (first, last, readings)), (start, end, window_end)) in enumerate(zip(items, spans)):
            prepared = state.ids[start:window_end]
            window = state.ids[end:window_end]
            scores.append([])
            for index, reading in enumerate(readings):
                tokens: list[int] = []
                for offset, text in enumerate(reading):
                    tokens += self.encode(text)
                    if first + offset < last:
                        tokens += state.pieces[2 * (first + offset) + 2]
                tokens += window
                shared = 0
                while shared < min(len(tokens), len(prepared)) and tokens[shared] == prepared[shared]:
                    shared += 1
                if shared == len(tokens) == len(prepared):
                    scores[-1].append(sum(state.token_scores[start:window_end]))
                    continue
                shared = min(shared, len(tokens) - 1)
                scores[-1].append(sum(state.token_scores[start : start + shared]))
                rows.append(_Row(state, number, index, start + shared, tokens[shared:]))
        return rows, scores

    def _first_token_scores(self, rows: Sequence[_Row]) -> list[float]:
        """log P(each row's first token | its prepared unit before it)."""
        if not rows:
            return []
        torch = self.torch
        self._ensure_scores([(row.unit, row.prefix) for row in rows])
        hidden = torch.stack([row.unit.hidden[row.prefix - 1] for row in rows])
        norms = torch.tensor([row.unit.log_norm[row.prefix - 1] for row in rows])
        tokens = torch.tensor([row.tokens[0] for row in rows])
        with torch.inference_mode():
            values = self._token_logits(hidden, tokens) - norms
        return values.tolist()

    def _continuations(self, rows: Sequence[_Row]) -> list[float]:
        """Sum of log P(token | prefix, earlier tokens) over each row's tokens after the first.

        The rows are packed into one sequence (no padding) after their units' KV caches laid
        end to end, as a prefix tree: rows that leave a unit at the same place with the same
        first tokens (a beam's hypotheses, readings such as "Associated Press" and "Associated
        Press's") share those tokens' queries. A mask lets each query see its own unit's cache
        up to the prefix and its ancestors in the tree, at the positions it would have in the
        unit; so rows of any units and prefixes share one forward call, and no cache is copied.
        """
        from transformers import DynamicCache

        torch = self.torch
        running = [row for row in rows if len(row.tokens) > 1]
        if not running:
            return [0.0] * len(rows)
        units = list({id(row.unit): row.unit for row in running}.values())
        offsets, total = {}, 0
        for unit in units:
            offsets[id(unit)] = total
            total += unit.length
        # Queries: one per distinct (unit, prefix, tokens so far); a row's step k asks its query
        # for tokens[k + 1].
        nodes: dict[tuple, int] = {}
        inputs, parents, depths, prefixes, unit_offsets = [], [], [], [], []
        pairs: dict[tuple[int, int], int] = {}  # (query, target) -> pair number
        steps, owners = [], []  # per row step: its pair, its row
        blocks: list[list[int]] = []  # per unit: first query, end of queries, cache start, cache end
        for number, row in enumerate(running):
            if not blocks or blocks[-1][2] != offsets[id(row.unit)]:
                blocks.append([len(inputs), len(inputs), offsets[id(row.unit)], offsets[id(row.unit)]])
            blocks[-1][3] = max(blocks[-1][3], offsets[id(row.unit)] + row.prefix)
            parent = -1
            for depth, token in enumerate(row.tokens[:-1]):
                key = (id(row.unit), row.prefix, tuple(row.tokens[: depth + 1]))
                node = nodes.get(key)
                if node is None:
                    node = nodes[key] = len(inputs)
                    inputs.append(token)
                    parents.append(node if parent < 0 else parent)
                    depths.append(depth)
                    prefixes.append(row.prefix)
                    unit_offsets.append(offsets[id(row.unit)])
                steps.append(pairs.setdefault((node, row.tokens[depth + 1]), len(pairs)))
                owners.append(number)
                parent = node
            blocks[-1][1] = len(inputs)
        depth, prefix = torch.tensor(depths), torch.tensor(prefixes)
        positions = prefix + depth
        columns = torch.arange(total)[None, :] - torch.tensor(unit_offsets)[:, None]  # cache position in its unit
        seen = (columns >= 0) & (columns < prefix[:, None])
        mask = torch.cat([seen, _ancestors(torch.tensor(parents))], dim=-1)
        masks = {"full_attention": mask}
        sliding = getattr(self.model.config, "sliding_window", None)
        if sliding and "sliding_attention" in (getattr(self.model.config, "layer_types", None) or ()):
            recent = torch.cat([positions[:, None] - columns < sliding,
                                (depth[None, :] >= depth[:, None] - sliding + 1)], dim=-1)
            masks["sliding_attention"] = mask & recent
        masks = {kind: self._attention_mask(m) for kind, m in masks.items()}

        def laid_end_to_end(layer: int, part: int) -> Any:
            tensors = [unit.cache[layer][part] for unit in units]
            return tensors[0] if len(tensors) == 1 else torch.cat(tensors, dim=2)

        cache = DynamicCache(ddp_cache_data=[(laid_end_to_end(layer, 0), laid_end_to_end(layer, 1))
                                             for layer in range(len(units[0].cache))])
        # Each unit's queries attend to that unit alone (the mask rules out the rest anyway),
        # where each unit's rows lie together, as _packs puts them.
        contiguous = len({cache_start for _, _, cache_start, _ in blocks}) == len(blocks)
        blocked = {"unit_blocks": blocks} if self.blocked and contiguous else {}
        with torch.inference_mode():
            hidden = self.base(input_ids=torch.tensor([inputs]), position_ids=positions[None],
                               attention_mask=masks if len(masks) > 1 else masks["full_attention"],
                               cache=cache, use_cache=True, **blocked).last_hidden_state[0]
            del cache
            pair_nodes = torch.tensor([node for node, _ in pairs])
            targets = torch.tensor([target for _, target in pairs])
            log_probs = self._token_logits(hidden[pair_nodes], targets) - self._log_norms(hidden)[pair_nodes]
        sums = torch.zeros(len(running), dtype=log_probs.dtype).index_add_(
            0, torch.tensor(owners), log_probs[torch.tensor(steps)]).tolist()
        totals = {id(row): value for row, value in zip(running, sums)}
        return [totals.get(id(row), 0.0) for row in rows]

    def _attention_mask(self, allowed: Any) -> Any:
        """[queries, keys] booleans -> the model's 4D mask (additive floats for eager attention)."""
        mask = allowed[None, None]
        if getattr(self.model.config, "_attn_implementation", "sdpa") == "eager":
            dtype = self.model.dtype
            mask = self.torch.zeros(mask.shape, dtype=dtype).masked_fill(~mask, self.torch.finfo(dtype).min)
        return mask


@dataclass
class _MaskedUnit:
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

    def prepare(self, pieces: Sequence[str]) -> _MaskedUnit:
        return _MaskedUnit([list(self.encode(piece)) for piece in pieces])

    def score(self, state: _MaskedUnit, first: int, last: int, readings: Sequence[Sequence[str]]) -> list[float]:
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

    def score_batch(self, state: _MaskedUnit, requests: Sequence[Request]) -> list[list[float]]:
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


def default_dtype() -> str:
    """bfloat16 where the CPU multiplies it natively (AVX512-BF16/AMX: 2-4x faster), else float32."""
    import torch

    try:
        native = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    except AttributeError:  # older torch: stay exact
        native = False
    return "bfloat16" if native else "float32"


def load_scorer(model: str | None = None, progress: bool = False, dtype: str | None = None) -> Scorer:
    """Build the scorer for a hub id or local path; its kind (causal or masked) follows the config."""
    # oneDNN keeps up to 1,024 compiled matmul primitives, each with its own buffers, and scoring
    # meets new shapes at every call: on a streamed 10 MB input that cache alone grew by some
    # 250 MB. 32 (read when the first primitive is made) covers a call's shapes at the same speed.
    os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "32")
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForMaskedLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    path = resolve_model_path(model, progress=progress)
    bars_were_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # a 1-second weight load needs no bar of its own
    try:
        config = AutoConfig.from_pretrained(path)
        tokenizer = AutoTokenizer.from_pretrained(path)
        _release_vocabulary_copies(tokenizer)
        kind = model_kind(config)
        loader = AutoModelForMaskedLM if kind == "masked" else AutoModelForCausalLM
        weights = loader.from_pretrained(path, dtype=getattr(torch, dtype or default_dtype()))
    except (OSError, ValueError) as error:
        raise ModelError(f"cannot load model {path!r}: {error}") from error
    finally:
        if bars_were_enabled:
            hf_logging.enable_progress_bar()
    name = model_label(model)  # the model's name and source, not a cache path
    if kind == "masked":
        return MaskedLMScorer(weights, tokenizer, name=str(name))
    return CausalLMScorer(weights, tokenizer, name=str(name))


def _release_vocabulary_copies(tokenizer: Any) -> None:
    """Drop the Python copies of the vocabulary and merges that transformers 5 keeps on a tokenizer.

    Its tokenizer classes build the Rust tokenizer from a Python dict and merge list and keep both
    (``_vocab``, ``_merges``), which only ``save_pretrained`` of a few classes reads again; for
    Gemma's 262k tokens and 515k merges that is about 200 MB that no encoding uses. The freed
    memory goes back to the system at once (glibc keeps freed heap otherwise).
    """
    if getattr(tokenizer, "_tokenizer", None) is None:  # not backed by a Rust tokenizer: keep as is
        return
    released = False
    for name in ("_vocab", "_merges"):
        if isinstance(getattr(tokenizer, name, None), (dict, list)):
            setattr(tokenizer, name, None)
            released = True
    if released:
        import gc

        gc.collect()
        return_freed_memory()


def return_freed_memory() -> None:
    """Give freed heap pages back to the system (glibc's ``malloc_trim``; elsewhere nothing)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _ancestors(parents: Any) -> Any:
    """[n, n] booleans: ``[i, j]`` when node j is node i or an ancestor of it (a root is its own parent)."""
    import torch

    count = parents.shape[0]
    reach = torch.eye(count, dtype=torch.bool)
    reach[torch.arange(count), parents] = True
    jump = parents
    while True:  # pointer jumping: after k rounds every ancestor within 2^k steps is marked
        further = jump[jump]
        reach |= reach[jump]
        if bool((further == jump).all()):
            return reach
        jump = further


def _use_erf_gelu(model: Any) -> list[tuple[Any, Any]]:
    """In bfloat16, run tanh-approximate GELUs (Gemma's) as the exact, erf GELU they approximate.

    On CPU torch's tanh is some 5x slower than its erf GELU: 0.66 against 0.19 s of a seed
    restore. The two functions differ by at most 4.7e-4 (near x = 2.7, where that is 3% of a
    bfloat16 step); rounded to bfloat16, four outputs in five are equal and the rest one step
    apart, the size of bfloat16's own rounding. In float32 the difference would show, so the
    model is left as it is. Returns (module, its own activation) pairs.
    """
    import torch

    if next(model.parameters()).dtype != torch.bfloat16:
        return []
    swapped = []
    for module in model.modules():
        activation = getattr(module, "act_fn", None)
        replacement = _erf_gelu_for(activation)
        if replacement is not activation:
            swapped.append((module, activation))
            module.act_fn = replacement
    return swapped


def _erf_gelu_for(activation: Any) -> Any:
    """nn.GELU() for a tanh-approximate GELU module, else the activation itself."""
    import torch

    tanh_gelu = type(activation).__name__ in ("GELUTanh", "PytorchGELUTanh") or (
        isinstance(activation, torch.nn.GELU) and activation.approximate == "tanh")
    return torch.nn.GELU() if tanh_gelu else activation


BLOCKED_ATTENTION = "unspin_blocked_sdpa"


def _use_blocked_attention(model: Any) -> bool:
    """Give an SDPA model an attention that can run unit by unit (see ``_blocked_sdpa``)."""
    if getattr(model.config, "_attn_implementation", None) not in ("sdpa", BLOCKED_ATTENTION):
        return False
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    AttentionInterface.register(BLOCKED_ATTENTION, _blocked_sdpa)
    AttentionMaskInterface.register(BLOCKED_ATTENTION, sdpa_mask)
    model.config._attn_implementation = BLOCKED_ATTENTION
    return True


def _blocked_sdpa(module: Any, query: Any, key: Any, value: Any, attention_mask: Any,
                  unit_blocks: Sequence[Sequence[int]] | None = None, **kwargs: Any) -> tuple[Any, None]:
    """SDPA, or with ``unit_blocks`` one SDPA per unit of a packed row call.

    A packed call lays many units' caches end to end, but each query may see only its own
    unit's cache and its own rows: attending to every key and masking most of them out costs
    several times the work. ``unit_blocks`` gives, per unit, its queries [q0, q1) and the
    cache columns [k0, k1) they may see; the queries' own keys follow the cache.
    """
    import torch
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    if unit_blocks is None:
        return sdpa_attention_forward(module, query, key, value, attention_mask, **kwargs)
    cached = key.shape[2] - query.shape[2]
    output = query.new_empty(query.shape[0], query.shape[2], query.shape[1], value.shape[-1])
    for q0, q1, k0, k1 in unit_blocks:
        keys = torch.cat([key[:, :, k0:k1], key[:, :, cached + q0 : cached + q1]], dim=2)
        values = torch.cat([value[:, :, k0:k1], value[:, :, cached + q0 : cached + q1]], dim=2)
        mask = torch.cat([attention_mask[..., q0:q1, k0:k1],
                          attention_mask[..., q0:q1, cached + q0 : cached + q1]], dim=-1)
        output[:, q0:q1] = sdpa_attention_forward(module, query[:, :, q0:q1], keys, values, mask, **kwargs)[0]
    return output, None
