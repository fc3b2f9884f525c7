"""Where outputs go, what an interrupted run leaves, how a run resumes, and bad options (CLI)."""

import pytest
from typer.testing import CliRunner

import unspin.files
import unspin.restoring.pipeline
from unspin.cli import app

SPUN = "The White Home official mentioned Thursday that the warfare in Ukraine is nearing its fourth yr.\n"
runner = CliRunner()


@pytest.fixture
def common(tiny_causal, tiny_lexicon):
    # These tests are about files; a random model's own proposals would be noise in them.
    return ["--model", str(tiny_causal), "--lexicon", str(tiny_lexicon), "--no-propose"]


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def folder_of(tmp_path, contents):
    folder = tmp_path / "in"
    folder.mkdir()
    for name, text in contents.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_a_folder_with_one_file_is_written_into_a_folder(tmp_path, common):
    folder = folder_of(tmp_path, {"a.txt": "Nothing to change here.\n"})
    result = run("restore", folder, "-o", tmp_path / "out", *common)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "a.txt").read_text() == "Nothing to change here.\n"
    existing = tmp_path / "docs" / "out"
    existing.mkdir(parents=True)
    result = run("restore", folder, "-o", existing, "--format", "json", *common)
    assert result.exit_code == 0, result.output
    assert (existing / "a.txt.json").is_file()
    result = run("restore", folder / "a.txt", "-o", existing, *common)  # a file into an existing folder
    assert result.exit_code == 0, result.output
    assert (existing / "a.txt").read_text() == "Nothing to change here.\n"


def test_an_interrupted_folder_run_leaves_outputs_complete_or_absent_and_resumes(tmp_path, common,
                                                                                monkeypatch):
    contents = {"a.txt": SPUN, "b.txt": "Nothing to change here.\n", "c.txt": "Plain words only.\n"}
    folder = folder_of(tmp_path, contents)
    out = tmp_path / "out"
    expected = run("restore", folder, "-o", tmp_path / "expected", *common)
    assert expected.exit_code == 0, expected.output
    render = unspin.files.render
    rendered = []

    def interrupted(*args, **kwargs):
        if len(rendered) == 1:
            raise KeyboardInterrupt  # Ctrl-C while b.txt is being written
        rendered.append(args)
        return render(*args, **kwargs)

    monkeypatch.setattr(unspin.files, "render", interrupted)
    assert run("restore", folder, "-o", out, *common).exit_code != 0
    assert sorted(p.name for p in out.iterdir()) == ["a.txt"]  # no partial b.txt, no temporary file
    assert (out / "a.txt").read_text() == (tmp_path / "expected" / "a.txt").read_text()
    monkeypatch.setattr(unspin.files, "render", render)
    restored = []
    restore_many = unspin.restoring.pipeline.Restorer.restore_many

    def recording(self, texts):
        restored.extend(texts)
        return restore_many(self, texts)

    monkeypatch.setattr(unspin.restoring.pipeline.Restorer, "restore_many", recording)
    (out / "a.txt").write_text("kept as it is\n")
    result = run("restore", folder, "-o", out, "--skip-existing", *common)
    assert result.exit_code == 0, result.output
    assert restored == [contents["b.txt"], contents["c.txt"]]  # a.txt was not restored again
    assert (out / "a.txt").read_text() == "kept as it is\n"
    for name in ("b.txt", "c.txt"):
        assert (out / name).read_text() == (tmp_path / "expected" / name).read_text()


def test_an_interrupted_stream_leaves_no_partial_output(tmp_path, common, monkeypatch):
    big = tmp_path / "big.txt"
    big.write_text("Nothing to change here.\n\n" * 3_000, encoding="utf-8")  # streamed, block by block
    restore_lines = unspin.restoring.pipeline.Restorer.restore_lines

    def interrupted(self, lines):
        for number, block in enumerate(restore_lines(self, lines)):
            if number == 2:
                raise KeyboardInterrupt
            yield block

    monkeypatch.setattr(unspin.restoring.pipeline.Restorer, "restore_lines", interrupted)
    output = tmp_path / "big.restored.txt"
    output.write_text("an earlier complete output\n")
    assert run("restore", big, "-o", output, *common).exit_code != 0
    assert output.read_text() == "an earlier complete output\n"  # not replaced by a partial one
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_outputs_keep_the_usual_permissions(tmp_path, common):
    import os

    source = tmp_path / "a.txt"
    source.write_text("Nothing to change here.\n")
    assert run("restore", source, "-o", tmp_path / "b.txt", *common).exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "b.txt").stat().st_mode & 0o777 == 0o666 & ~umask


def one_line_exit_2(result, *fragments):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("unspin: error:"), result.output
    assert all(fragment in lines[0] for fragment in fragments), lines[0]


@pytest.mark.parametrize("threshold", ["1.5", "-0.1", "nan"])
def test_threshold_outside_0_1(tmp_path, threshold):
    source = tmp_path / "a.txt"
    source.write_text(SPUN)
    one_line_exit_2(run("restore", source, "--threshold", threshold), "--threshold")


def test_unwritable_output_fails_before_the_model_loads(tmp_path, tiny_lexicon, monkeypatch):
    def no_model(*args, **kwargs):
        raise AssertionError("the model was loaded before the output was checked")

    monkeypatch.setattr("unspin.restoring.pipeline.load_scorer", no_model)
    source = tmp_path / "a.txt"
    source.write_text(SPUN)
    lexicon = ["--lexicon", tiny_lexicon]
    one_line_exit_2(run("restore", source, "-o", source / "out.txt", *lexicon), "out.txt")  # under a file
    one_line_exit_2(run("restore", source, "-o", tmp_path / "no" / "such" / "out.txt", *lexicon), "out.txt")
    one_line_exit_2(run("restore", source, source, "-o", source, *lexicon), "folder")  # several into a file
    one_line_exit_2(run("restore", source, "-o", "/proc/unspin-out.txt", *lexicon), "unspin-out.txt")


@pytest.mark.parametrize(("content", "fragment"), [
    ("spun only\n", ":1:"),
    ("said\tmentioned\tmany\n", "not a number"),
    ("said\tmentioned\tinf\n", "finite"),
    ("said\tmentioned\tnan\n", "finite"),
    ("said\tmentioned\t-2\n", "finite"),
    ("# weights: sometimes\nsaid\tmentioned\t1\n", "weights"),
])
def test_malformed_lexicon(tmp_path, content, fragment):
    source = tmp_path / "a.txt"
    source.write_text(SPUN)
    lexicon = tmp_path / "bad.tsv"
    lexicon.write_text(content)
    one_line_exit_2(run("restore", source, "--lexicon", lexicon), "bad.tsv", fragment)


def test_missing_exclude_file(tmp_path, tiny_lexicon):
    source = tmp_path / "a.txt"
    source.write_text(SPUN)
    one_line_exit_2(run("restore", source, "--lexicon", tiny_lexicon, "--exclude", tmp_path / "none.txt"),
                    "none.txt")


def test_skip_existing_needs_an_output(tmp_path):
    source = tmp_path / "a.txt"
    source.write_text(SPUN)
    one_line_exit_2(run("restore", source, "--skip-existing"), "--output")


@pytest.mark.parametrize(("command", "option"), [
    (["eval", "--spun", "{a}", "--orig", "{a}", "--min-similarity", "2"], "--min-similarity"),
    (["spin", "{a}", "--lexicon", "news", "--rate", "-1"], "--rate"),
    (["eval", "--spun", "{a}", "--orig", "{a}", "--threshold", "7"], "--threshold"),
])
def test_other_probabilities_outside_0_1(tmp_path, command, option):
    source = tmp_path / "a.txt"
    source.write_text(SPUN)
    one_line_exit_2(run(*[part.format(a=source) for part in command]), option)
