"""restore-corpus on a local Ray (2 CPUs, one session for the module) with a tiny float32 model.

The same documents as a folder, a JSONL and a Parquet input come back as the single-process
``restore_many`` gives them; a worker that dies mid-run loses and duplicates nothing; a re-run
resumes and a finished output costs no work.
"""

from __future__ import annotations

import json
import logging

import pytest
from typer.testing import CliRunner

from unspin.cli import app

ray = pytest.importorskip("ray", reason="restore-corpus needs the [ray] extra")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

import unspin.corpus as corpus  # noqa: E402  (after the skip: it is only useful with Ray)

SPUN = "The White Home official mentioned Thursday that the warfare in Ukraine is nearing its fourth yr."
DOCUMENTS = {
    "a.txt": SPUN + "\n",
    "b.txt": "Trump informed reporters that the Related Press and Reuters confirmed the call.\r\n\r\nSecond line.\r\n",
    "c.txt": "“We use counterfeit consciousness,” she mentioned.\u00a0🙂\u2028\x85\n\n" + SPUN,
    "d.txt": "",
    "e.txt": "Nothing to change here.\n",
    "f.txt": (SPUN + "\n\n") * 3,
    "g.txt": "Montgomery said Ukraine could be better served with Prolonged Vary Assault Munition missiles.",
}


@pytest.fixture(scope="module")
def ray_session():
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def options(tiny_causal, tmp_path_factory):
    from conftest import TINY_LEXICON

    lexicon = tmp_path_factory.mktemp("lexicon") / "tiny.tsv"
    lexicon.write_text(TINY_LEXICON, encoding="utf-8")
    return {"model": str(tiny_causal), "lexicons": [str(lexicon)], "threshold": 0.0, "dtype": "float32"}


@pytest.fixture(scope="module")
def expected(options):
    """What one process's ``restore_many`` gives for the documents, as output rows by id."""
    from unspin import Restorer
    from unspin.restoring.scoring.loading import load_scorer

    restorer = Restorer(lexicons=options["lexicons"], threshold=options["threshold"],
                        scorer=load_scorer(options["model"], dtype="float32"))
    restored = restorer.restore_many(list(DOCUMENTS.values()))
    rows = {doc_id: corpus.corpus_row(doc_id, r) for doc_id, r in zip(DOCUMENTS, restored)}
    assert any(row["edits"] for row in rows.values()) and rows["a.txt"]["spin_rates"]
    return rounded(rows)


def write_inputs(folder):
    texts = folder / "texts"
    texts.mkdir()
    for doc_id, text in DOCUMENTS.items():
        (texts / doc_id).write_bytes(text.encode("utf-8"))  # line endings as they are
    jsonl = folder / "docs.jsonl"
    jsonl.write_text("".join(json.dumps({"id": k, "text": v, "source": "test"}, ensure_ascii=False) + "\n"
                             for k, v in DOCUMENTS.items()), encoding="utf-8")  # U+2028 as it is
    parquet = folder / "docs.parquet"
    pq.write_table(pa.table({"id": list(DOCUMENTS), "text": list(DOCUMENTS.values())}), parquet, row_group_size=3)
    return texts, jsonl, parquet


def rows_by_id(output):
    rows = list(corpus.read_output(output))
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)), "an id was written twice"
    return rounded({row["id"]: row for row in rows})


def rounded(value):
    """Rows with their numbers to 6 decimals: texts and edits must be equal, while a float32 score's
    last bits depend on which documents shared the model's batch (rates differed by 1e-10)."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(item) for item in value]
    return value


def test_folder_jsonl_and_parquet_inputs_give_the_single_process_rows(ray_session, options, expected, tmp_path,
                                                                       monkeypatch):
    texts, jsonl, _ = write_inputs(tmp_path)
    monkeypatch.setenv("RAY_BACKEND_LOG_LEVEL", "fatal")
    result = CliRunner().invoke(app, ["restore-corpus", str(texts), "-o", str(tmp_path / "from-folder.jsonl"),
                                      "--model", options["model"], "--lexicon", options["lexicons"][0],
                                      "--threshold", "0", "--dtype", "float32", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "7 documents restored, 0 already there, 7 in all" in result.output
    assert rows_by_id(tmp_path / "from-folder.jsonl") == expected
    summary = corpus.restore_corpus(jsonl, tmp_path / "from-jsonl.parquet", workers=2, batch_size=2, **options)
    assert (summary.total, summary.skipped, summary.restored) == (7, 0, 7)
    assert sum(w.documents for w in summary.workers.values()) == 7
    assert all(w.load_seconds > 0 and w.peak_rss_bytes > 0 for w in summary.workers.values())
    assert rows_by_id(tmp_path / "from-jsonl.parquet") == expected
    # (the Parquet input is restored by the next test, with a worker killed on the way)


def test_a_worker_killed_mid_run_loses_no_document_and_duplicates_none(ray_session, options, expected, tmp_path,
                                                                        monkeypatch):
    _, _, parquet = write_inputs(tmp_path)
    marker = tmp_path / "killed"
    monkeypatch.setenv(corpus.FAIL_ONCE_ENV, str(marker))  # the actor given the first batch exits once
    summary = corpus.restore_corpus(parquet, tmp_path / "out.jsonl", workers=2, batch_size=2, **options)
    assert marker.exists(), "no worker was killed"
    assert summary.restored == 7
    lines = [json.loads(line) for part in corpus.part_files(tmp_path / "out.jsonl")
             for line in part.read_text(encoding="utf-8").splitlines()]
    assert sorted(row["id"] for row in lines) == sorted(DOCUMENTS)
    assert rows_by_id(tmp_path / "out.jsonl") == expected


def test_a_rerun_resumes_and_a_finished_output_costs_no_work(ray_session, options, expected, tmp_path,
                                                             monkeypatch):
    _, jsonl, _ = write_inputs(tmp_path)
    output = tmp_path / "out.parquet"
    # What a killed run leaves: complete parts for some documents, and a part that never reached its name.
    writer = corpus._PartWriter(output, "parquet")
    done = ["a.txt", "c.txt", "d.txt", "f.txt"]
    for ids in (done[:2], done[2:], ["b.txt"]):
        writer.write([json.dumps(expected[doc_id]) for doc_id in ids])
    (output / writer.parts[-1]).rename(output / (".part-" + writer.parts[-1]))
    resumed = corpus.restore_corpus(jsonl, output, workers=2, batch_size=2, **options)
    assert (resumed.total, resumed.skipped, resumed.restored) == (7, 4, 3)
    assert not list(output.glob(".part-*"))
    assert rows_by_id(output) == expected

    def no_work(*args, **kwargs):
        raise AssertionError("a finished output started a Ray pipeline")

    monkeypatch.setattr(corpus, "build_dataset", no_work)
    monkeypatch.setattr(corpus, "_ray_session", no_work)
    parts = sorted(output.iterdir())
    again = corpus.restore_corpus(jsonl, output, workers=2, batch_size=2, **options)
    assert (again.skipped, again.restored) == (7, 0)
    assert sorted(output.iterdir()) == parts


def test_a_resumed_output_must_have_the_same_settings(options, tmp_path):
    output = tmp_path / "out.jsonl"
    output.mkdir()
    row = {"id": "a.txt", "text": "", "edits": [], "spin_rates": {},
           "settings": {"model": "m", "lexicons": ["tiny"], "lexicon_sha256": ["x"], "threshold": 0.9, "beam": 3}}
    (output / "part-0-00000.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "a.txt").write_text("text\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["restore-corpus", str(tmp_path / "texts"), "-o", str(output),
                                      "--lexicon", options["lexicons"][0], "--threshold", "0"])
    assert result.exit_code == 2
    assert "was restored with" in result.output and "use a new output folder" in result.output


@pytest.mark.parametrize(("name", "content", "message"), [
    ("dup.jsonl", '{"id": 1, "text": "a"}\n\n{"id": "1", "text": "b"}\n', "dup.jsonl:3: duplicate id '1' (first at"),
    ("noid.jsonl", '{"id": "x", "text": "a"}\n{"text": "b"}\n', "noid.jsonl:2: missing id"),
    ("notext.jsonl", '{"id": "x"}\n', "notext.jsonl:1: missing text"),
    ("bad.jsonl", '{"id": "x", "text": "a"\n', "bad.jsonl:1: not valid JSON"),
    ("dup.parquet", {"id": ["a", "b", "a"], "text": ["1", "2", "3"]}, "dup.parquet: row 2: duplicate id 'a'"),
    ("notext.parquet", {"id": ["a", "b"], "text": ["1", None]}, "notext.parquet: row 1: missing text"),
    ("noid.parquet", {"id": ["a", None], "text": ["1", "2"]}, "noid.parquet: row 1: missing id"),
    ("nocolumn.parquet", {"doc": ["a"], "text": ["1"]}, "nocolumn.parquet: no 'id' column"),
])
def test_bad_inputs_are_one_line_errors_before_any_work(tmp_path, monkeypatch, name, content, message):
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        pq.write_table(pa.table(content), path)

    def no_work(*args, **kwargs):
        raise AssertionError("work started on a bad input")

    monkeypatch.setattr(corpus, "_ray_session", no_work)
    result = CliRunner().invoke(app, ["restore-corpus", str(path), "-o", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and message in result.output, result.output
    assert not (tmp_path / "out.jsonl").exists()


def test_output_must_be_jsonl_or_parquet(tmp_path):
    (tmp_path / "in.jsonl").write_text('{"id": "a", "text": "b"}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["restore-corpus", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 2 and "must end in .jsonl or .parquet" in result.output


def test_without_ray_the_command_says_what_to_install(tmp_path, monkeypatch):
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "ray" else find_spec(name, *args))
    (tmp_path / "in.jsonl").write_text('{"id": "a", "text": "b"}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["restore-corpus", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2 and "pip install 'unspin[ray]'" in result.output
