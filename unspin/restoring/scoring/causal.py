"""A causal LM as scorer: each unit run once, its KV cache reused; only what differs is run again.

``prepare`` runs a unit as it stands and keeps its KV cache, hidden states and per-token
log-probabilities; a reading is then run only from its first differing token, plus a short
window, packed with other readings into one forward call (:mod:`.packing`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from unspin.restoring.scoring.head import VocabularyHead
from unspin.restoring.scoring.model_patches import use_blocked_attention, use_erf_gelu
from unspin.restoring.scoring.packing import Row, pack_rows, query_tree, tree_masks
from unspin.restoring.scoring.protocol import Request, cached_encoder


@dataclass
class CausalUnit:
    pieces: list[list[int]]  # token ids of each piece
    starts: list[int]  # position of each piece's first token (after BOS)
    ids: list[int]  # the unit's tokens, BOS first
    cache: list[tuple[Any, Any]]  # per layer (keys, values) [1, heads, length, width] of the unit
    hidden: Any  # [positions, width] final hidden states: position p predicts token p + 1
    log_norm: list[float]  # per position, log of the softmax normaliser of its hidden state (NaN: not yet needed)
    token_scores: list[float]  # log P(ids[p] | ids[:p]) where log_norm[p - 1] is known
    stops: list[int] | None = None  # slots whose text is in doubt (windows end there); None: every slot

    @property
    def length(self) -> int:
        return len(self.ids)


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
        self.head = VocabularyHead(model)
        bos = tokenizer.bos_token_id
        self.bos = bos if bos is not None else tokenizer.eos_token_id
        self.encode = cached_encoder(tokenizer)
        self.blocked = use_blocked_attention(self.model)
        self._loaded_activations = use_erf_gelu(self.model)

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

    def prepare(self, pieces: Sequence[str]) -> CausalUnit:
        return self.prepare_many([pieces])[0]

    def prepare_many(self, units: Sequence[Sequence[str]], tokens_per_batch: int = 2048,
                     scored: Sequence[Sequence[int]] | None = None,
                     stops: Sequence[Sequence[int]] | None = None) -> list[CausalUnit]:
        """Run each unit once (several per forward call, padded) and keep what its readings share.

        ``scored`` lists, per unit, the slots whose readings will be scored (default: all); the
        normaliser is computed ahead, in one batch, only around those. ``stops`` lists, per unit,
        the slots whose text is itself in doubt: a reading's window of right context ends there
        (default: at the next slot).
        """
        encoded = [[list(self.encode(piece)) for piece in pieces] for pieces in units]
        # Units of similar length share a batch, so that little of it is padding.
        order = sorted(range(len(encoded)), key=lambda i: sum(len(t) for t in encoded[i]))
        states: dict[int, CausalUnit] = {}
        batch: list[int] = []
        for index in order:
            batch.append(index)
            if sum(len(t) for i in batch for t in encoded[i]) >= tokens_per_batch or index == order[-1]:
                states.update(zip(batch, self._prepare_batch([encoded[i] for i in batch],
                                                             [scored[i] for i in batch] if scored else None)))
                batch = []
        for index, state in states.items():
            state.stops = sorted(stops[index]) if stops is not None else None
        return [states[index] for index in range(len(encoded))]

    def _prepare_batch(self, units: list[list[list[int]]], scored: list[Sequence[int]] | None
                       ) -> list[CausalUnit]:
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
            states.append(CausalUnit(unit, starts, ids, cache, hidden, [math.nan] * length, [0.0] * length))
        # The normaliser is needed only where readings are scored: at slots and their windows.
        self._ensure_scores([(state, p) for number, state in enumerate(states)
                             for p in self._scored_positions(state, scored[number] if scored else None)])
        return states

    def _scored_positions(self, state: CausalUnit, slots: Sequence[int] | None = None) -> list[int]:
        positions: set[int] = set()
        for slot in range(1, len(state.pieces), 2) if slots is None else [2 * s + 1 for s in slots]:
            start = state.starts[slot]
            positions.update(range(start, min(start + len(state.pieces[slot]) + self.window, state.length)))
        return sorted(positions)

    def _ensure_scores(self, wanted: Sequence[tuple[CausalUnit, int]]) -> None:
        """Fill ``log_norm[p - 1]`` and ``token_scores[p]`` for the wanted token positions ``p``
        (``p`` may be the unit's length: a reading that runs past the unit's end needs the normaliser
        after its last token, and there is no token there to score)."""
        torch = self.torch
        missing = [(state, p) for state, p in wanted if p > 0 and math.isnan(state.log_norm[p - 1])]
        missing = list({(id(state), p): (state, p) for state, p in missing}.values())
        if not missing:
            return
        with torch.inference_mode():
            hidden = torch.stack([state.hidden[p - 1] for state, p in missing])
            norms = self.head.log_norms(hidden)
            targets = torch.tensor([state.ids[p] if p < state.length else 0 for state, p in missing])
            scores = (self.head.token_logits(hidden, targets) - norms).tolist()
        for (state, p), norm, score in zip(missing, norms.tolist(), scores):
            state.log_norm[p - 1] = norm
            if p < state.length:
                state.token_scores[p] = score

    def score(self, state: CausalUnit, first: int, last: int, readings: Sequence[Sequence[str]]) -> list[float]:
        return self.score_batch(state, [(first, last, readings)])[0]

    def first_difference(self, state: CausalUnit, requests: Sequence[Request]) -> list[list[float]]:
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

    def score_batch(self, state: CausalUnit, requests: Sequence[Request]) -> list[list[float]]:
        return self.score_many([(state, request) for request in requests])

    def score_many(self, items: Sequence[tuple[CausalUnit, Request]]) -> list[list[float]]:
        """:meth:`score` for requests of any units: the readings that differ from their prepared
        unit go through the model together, each row with its own unit and prefix."""
        rows, scores = self._rows(items)
        values = self._first_token_scores(rows)
        for chunk in pack_rows(rows, self.tokens_per_call):
            for index, value in zip(chunk, self._continuations([rows[i] for i in chunk])):
                values[index] += value
        for row, value in zip(rows, values):
            scores[row.request][row.reading] += value
        return scores

    def _span(self, state: CausalUnit, first: int, last: int) -> tuple[int, int, int]:
        """Token positions where slots first..last start and end, and where their window ends."""
        start = state.starts[2 * first + 1]
        end = state.starts[2 * last + 1] + len(state.pieces[2 * last + 1])
        window_end = min(end + self.window, state.length)
        # The window stops where a later slot's own text is in doubt (a spun neighbour misleads the
        # model: "White Home official mentioned" reads better to it than "White House official
        # mentioned"), and reads on through the rest: with the model proposing for nearly every
        # word, stopping at each slot would leave a reading one token of right context.
        following = [2 * slot + 1 for slot in (state.stops if state.stops is not None else [last + 1]) if slot > last]
        if following and following[0] < len(state.starts):
            window_end = min(window_end, max(state.starts[following[0]], end + 1))
        return start, end, window_end

    def _rows(self, items: Sequence[tuple[CausalUnit, Request]]) -> tuple[list[Row], list[list[float]]]:
        """Rows for the readings that differ from their prepared unit, and each reading's score
        so far: the prepared log-probabilities of the tokens it shares with the unit."""
        spans = [self._span(state, first, last) for state, (first, last, _) in items]
        self._ensure_scores([(state, p) for (state, _), (start, _, window_end) in zip(items, spans)
                             for p in range(start, window_end)])
        rows: list[Row] = []
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
                rows.append(Row(state, number, index, start + shared, tokens[shared:]))
        return rows, scores

    def _first_token_scores(self, rows: Sequence[Row]) -> list[float]:
        """log P(each row's first token | its prepared unit before it)."""
        if not rows:
            return []
        torch = self.torch
        self._ensure_scores([(row.unit, row.prefix) for row in rows])
        hidden = torch.stack([row.unit.hidden[row.prefix - 1] for row in rows])
        norms = torch.tensor([row.unit.log_norm[row.prefix - 1] for row in rows])
        tokens = torch.tensor([row.tokens[0] for row in rows])
        with torch.inference_mode():
            values = self.head.token_logits(hidden, tokens) - norms
        return values.tolist()

    def _continuations(self, rows: Sequence[Row]) -> list[float]:
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
        tree = query_tree(running, offsets)
        positions, masks = tree_masks(tree, total, self.model.config, self.model.dtype)

        def laid_end_to_end(layer: int, part: int) -> Any:
            tensors = [unit.cache[layer][part] for unit in units]
            return tensors[0] if len(tensors) == 1 else torch.cat(tensors, dim=2)

        cache = DynamicCache(ddp_cache_data=[(laid_end_to_end(layer, 0), laid_end_to_end(layer, 1))
                                             for layer in range(len(units[0].cache))])
        # Each unit's queries attend to that unit alone (the mask rules out the rest anyway),
        # where each unit's rows lie together, as pack_rows puts them.
        contiguous = len({cache_start for _, _, cache_start, _ in tree.blocks}) == len(tree.blocks)
        blocked = {"unit_blocks": tree.blocks} if self.blocked and contiguous else {}
        with torch.inference_mode():
            hidden = self.base(input_ids=torch.tensor([tree.inputs]), position_ids=positions[None],
                               attention_mask=masks if len(masks) > 1 else masks["full_attention"],
                               cache=cache, use_cache=True, **blocked).last_hidden_state[0]
            del cache
            pair_nodes = torch.tensor([node for node, _ in tree.pairs])
            targets = torch.tensor([target for _, target in tree.pairs])
            log_probs = self.head.token_logits(hidden[pair_nodes], targets) - self.head.log_norms(hidden)[pair_nodes]
        sums = torch.zeros(len(running), dtype=log_probs.dtype).index_add_(
            0, torch.tensor(tree.owners), log_probs[torch.tensor(tree.steps)]).tolist()
        totals = {id(row): value for row, value in zip(running, sums)}
        return [totals.get(id(row), 0.0) for row in rows]
