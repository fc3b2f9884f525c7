"""Readings packed into one sequence for a forward call: rows, packs, the prefix tree and its mask.

A *row* is one reading to run through the model from where it departs from its prepared unit.
Rows of many units share a forward call: they are laid after their units' KV caches (laid end
to end) as a prefix tree, so that rows that leave a unit at the same place with the same first
tokens (a beam's hypotheses, "Associated Press" and "Associated Press's") share those tokens'
queries; a mask lets each query see its own unit's cache up to the prefix and its ancestors in
the tree, at the positions it would have in the unit. No padding, no cache copy per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class Row:
    """One reading to run through the model: where it departs from the unit as prepared."""

    unit: Any  # the prepared unit (causal.CausalUnit)
    request: int
    reading: int
    prefix: int  # position of the first token that differs from the prepared unit
    tokens: list[int]  # the reading's tokens from there on, then the window


def pack_rows(rows: Sequence[Row], tokens_per_call: int) -> list[list[int]]:
    """Row indices in forward-call packs of about ``tokens_per_call`` queries, each unit's rows
    together; a pack also carries at most ``2 * tokens_per_call`` tokens of unit caches
    (beyond one unit), since the caches are copied end to end for each call and the mask
    spans all of them (as does attention, for a model without unit-by-unit attention)."""
    by_unit = sorted(range(len(rows)), key=lambda i: (rows[i].unit.length, id(rows[i].unit)))
    packs: list[list[int]] = [[]]
    queries, cached, units = 0, 0, set()
    for index in by_unit:
        unit = rows[index].unit
        full = queries >= tokens_per_call or cached + unit.length > 2 * tokens_per_call
        if id(unit) not in units and full:
            packs.append([])
            queries, cached, units = 0, 0, set()
        if id(unit) not in units:
            units.add(id(unit))
            cached += unit.length
        packs[-1].append(index)
        queries += len(rows[index].tokens) - 1
    return [pack for pack in packs if pack]


@dataclass
class QueryTree:
    """The packed queries of some rows: one per distinct (unit, prefix, tokens so far).

    A row's step k asks its query for ``tokens[k + 1]``; ``pairs`` holds each distinct
    (query, target) once, ``steps`` the pair of every row step and ``owners`` its row.
    ``blocks`` gives, per unit, its queries [q0, q1) and the cache columns [k0, k1) they see.
    """

    inputs: list[int]
    parents: list[int]
    depths: list[int]
    prefixes: list[int]
    unit_offsets: list[int]
    pairs: dict[tuple[int, int], int]
    steps: list[int]
    owners: list[int]
    blocks: list[list[int]]


def query_tree(rows: Sequence[Row], offsets: dict[int, int]) -> QueryTree:
    """The prefix tree of ``rows`` (each with two tokens or more); ``offsets`` places each unit's
    cache (by ``id``) in the caches laid end to end."""
    nodes: dict[tuple, int] = {}
    tree = QueryTree([], [], [], [], [], {}, [], [], [])
    for number, row in enumerate(rows):
        offset = offsets[id(row.unit)]
        if not tree.blocks or tree.blocks[-1][2] != offset:
            tree.blocks.append([len(tree.inputs), len(tree.inputs), offset, offset])
        tree.blocks[-1][3] = max(tree.blocks[-1][3], offset + row.prefix)
        parent = -1
        for depth, token in enumerate(row.tokens[:-1]):
            key = (id(row.unit), row.prefix, tuple(row.tokens[: depth + 1]))
            node = nodes.get(key)
            if node is None:
                node = nodes[key] = len(tree.inputs)
                tree.inputs.append(token)
                tree.parents.append(node if parent < 0 else parent)
                tree.depths.append(depth)
                tree.prefixes.append(row.prefix)
                tree.unit_offsets.append(offset)
            tree.steps.append(tree.pairs.setdefault((node, row.tokens[depth + 1]), len(tree.pairs)))
            tree.owners.append(number)
            parent = node
        tree.blocks[-1][1] = len(tree.inputs)
    return tree


def tree_masks(tree: QueryTree, total: int, config: Any, dtype: Any) -> tuple[Any, dict[str, Any]]:
    """The queries' positions in their units, and the model's attention masks by layer kind:
    each query sees its unit's cache before its prefix and its ancestors in the tree (and, in
    sliding-window layers, only what lies within the window)."""
    import torch

    depth, prefix = torch.tensor(tree.depths), torch.tensor(tree.prefixes)
    positions = prefix + depth
    columns = torch.arange(total)[None, :] - torch.tensor(tree.unit_offsets)[:, None]  # cache position in its unit
    seen = (columns >= 0) & (columns < prefix[:, None])
    mask = torch.cat([seen, ancestors(torch.tensor(tree.parents))], dim=-1)
    masks = {"full_attention": mask}
    sliding = getattr(config, "sliding_window", None)
    if sliding and "sliding_attention" in (getattr(config, "layer_types", None) or ()):
        recent = torch.cat([positions[:, None] - columns < sliding,
                            (depth[None, :] >= depth[:, None] - sliding + 1)], dim=-1)
        masks["sliding_attention"] = mask & recent
    return positions, {kind: model_mask(config, dtype, m) for kind, m in masks.items()}


def ancestors(parents: Any) -> Any:
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


def model_mask(config: Any, dtype: Any, allowed: Any) -> Any:
    """[queries, keys] booleans -> the model's 4D mask (additive floats for eager attention)."""
    import torch

    mask = allowed[None, None]
    if getattr(config, "_attn_implementation", "sdpa") == "eager":
            mask = torch.zeros(mask.shape, dtype=dtype).masked_fill(~mask, torch.finfo(dtype).min)
    return mask
