"""Building a scorer: resolve the model, load it the way its config says, free what scoring never reads."""

from __future__ import annotations

import os
from typing import Any

from unspin.restoring.scoring.models import ModelError, model_kind, model_label, resolve_model_path
from unspin.restoring.scoring.protocol import Scorer


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
    from unspin.restoring.scoring.causal import CausalLMScorer
    from unspin.restoring.scoring.masked import MaskedLMScorer

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
