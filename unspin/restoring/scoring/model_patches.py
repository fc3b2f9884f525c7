"""What unspin changes in a loaded causal LM, for speed on CPU: unit-by-unit attention and the erf GELU.

Both are undone or bypassed where they would change results (see each function).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def use_erf_gelu(model: Any) -> list[tuple[Any, Any]]:
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


def use_blocked_attention(model: Any) -> bool:
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
