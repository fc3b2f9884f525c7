"""The restore and model commands, through typer's runner, with a tiny random causal LM."""

import json

import pytest
from typer.testing import CliRunner

from unspin.cli import app
from unspin.restoring.edits import Edit, apply_edits

runner = CliRunner()
SPUN = "The White Home official mentioned Thursday that the warfare in Ukraine is nearing its fourth yr.\n"


@pytest.fixture
def spun_file(tmp_path):
    path = tmp_path / "spun.txt"
    path.write_text(SPUN, encoding="utf-8")
    return path


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_json_format(spun_file, tiny_causal, tiny_lexicon):
    result = run("restore", spun_file, "--format", "json", "--model", tiny_causal, "--lexicon", tiny_lexicon,
                 "--threshold", "0")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {"text", "edits", "model", "lexicons"}
    assert data["lexicons"] == ["tiny"]
    edits = [Edit(**{**e, "alternatives": ()}) for e in data["edits"]]
    assert apply_edits(SPUN, edits) == data["text"]
    for edit in data["edits"]:
        assert set(edit) >= {"start", "end", "original", "replacement", "confidence", "alternatives"}


def test_text_and_diff_formats(spun_file, tiny_causal, tiny_lexicon, tmp_path):
    out = tmp_path / "out.txt"
    common = ["--model", tiny_causal, "--lexicon", tiny_lexicon, "--threshold", "0"]
    assert run("restore", spun_file, "-o", out, *common).exit_code == 0
    restored = out.read_text(encoding="utf-8")
    diff = run("restore", spun_file, "--format", "diff", *common).output
    if restored != SPUN:
        assert "[-" in diff and "{+" in diff
    stripped = diff
    while "[-" in stripped:
        head, rest = stripped.split("[-", 1)
        _, rest = rest.split("-]{+", 1)
        new, tail = rest.split("+}", 1)
        stripped = head + new + tail
    assert stripped == restored


def test_stdin_and_several_files(tmp_path, tiny_causal, tiny_lexicon):
    # A random model's proposals are noise: this test is about input and output only.
    common = ["--model", tiny_causal, "--lexicon", tiny_lexicon, "--no-propose"]
    result = runner.invoke(app, ["restore", "-", *map(str, common)], input="Plain words only.\n")
    assert result.exit_code == 0 and result.output == "Plain words only.\n"
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.txt", "b.txt"):
        (folder / name).write_text("Nothing to change here.\n", encoding="utf-8")
    result = run("restore", folder, "-o", tmp_path / "out", *common)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "a.txt").read_text() == "Nothing to change here.\n"


def test_small_files_are_restored_together_and_each_written_to_its_own_output(tmp_path, tiny_causal, tiny_lexicon,
                                                                             monkeypatch):
    from unspin.restoring.pipeline import Restorer

    calls = []
    restore_many = Restorer.restore_many

    def recording(self, texts):
        calls.append((list(texts), restore_many(self, texts)))
        return calls[-1][1]

    monkeypatch.setattr(Restorer, "restore_many", recording)
    folder = tmp_path / "in"
    folder.mkdir()
    contents = {"a.txt": SPUN, "b.txt": "Nothing to change here.\r\n", "c.txt": ""}
    for name, text in contents.items():
        (folder / name).write_bytes(text.encode("utf-8"))
    common = ["--model", tiny_causal, "--lexicon", tiny_lexicon, "--threshold", "0", "--no-propose"]
    result = run("restore", folder, "-o", tmp_path / "out", *common)
    assert result.exit_code == 0, result.output
    assert len(calls) == 1 and calls[0][0] == list(contents.values())  # one batch, in the folder's order
    for name, restoration in zip(contents, calls[0][1]):
        assert (tmp_path / "out" / name).read_bytes() == restoration.text.encode("utf-8")
    assert (tmp_path / "out" / "b.txt").read_bytes() == b"Nothing to change here.\r\n"
    assert (tmp_path / "out" / "c.txt").read_bytes() == b""
    listing = run("restore", folder / "b.txt", folder / "c.txt", *common)  # to stdout, each under a header
    assert listing.exit_code == 0
    assert listing.stdout_bytes.decode() == (f"==> {folder / 'b.txt'} <==\nNothing to change here.\r\n"
                                             f"==> {folder / 'c.txt'} <==\n")


@pytest.mark.parametrize("content", [b"", b"   \n\t \n"])
def test_blank_input_is_echoed(tmp_path, content):
    path = tmp_path / "blank.txt"
    path.write_bytes(content)
    result = run("restore", path)
    assert result.exit_code == 0 and result.output == content.decode()


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p / "missing.txt", "no such file"),
    (lambda p: (p / "d").mkdir() or p / "d", "directory"),
    (lambda p: (p / "b.bin").write_bytes(b"\x00\x01binary") and p / "b.bin", "binary"),
    (lambda p: (p / "u.txt").write_bytes(b"caf\xe9 latin-1") and p / "u.txt", "UTF-8"),
])
def test_bad_input_is_one_line_exit_2(tmp_path, make, message):
    result = run("restore", make(tmp_path))
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_bad_lexicon_and_format(spun_file):
    assert run("restore", spun_file, "--lexicon", "no-such-lexicon").exit_code == 2
    assert run("restore", spun_file, "--format", "xml").exit_code == 2


def test_model_info_for_a_local_model(tiny_masked):
    result = run("model", "info", "--model", tiny_masked)
    assert result.exit_code == 0
    assert "kind: masked" in result.output


def test_assume_spun_reaches_the_restorer(spun_file, tiny_causal, tiny_lexicon, monkeypatch):
    from unspin.restoring.pipeline import Restorer

    seen = []
    restore_many = Restorer.restore_many

    def recording(self, texts):
        seen.append(self.assume_spun)
        return restore_many(self, texts)

    monkeypatch.setattr(Restorer, "restore_many", recording)
    common = ["--model", tiny_causal, "--lexicon", tiny_lexicon, "--no-propose"]
    assert run("restore", spun_file, *common).exit_code == 0
    assert run("restore", spun_file, "--assume-spun", *common).exit_code == 0
    assert seen == [False, True]
