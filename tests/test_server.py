"""unspin serve: the JSON API and the page, through Starlette's TestClient, with a unigram fake LM."""

import json
import threading
import time

import pytest

pytest.importorskip("starlette", reason="the [serve] extra is not installed")
pytest.importorskip("httpx", reason="starlette's TestClient needs httpx")

from starlette.testclient import TestClient  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from unspin import Restorer  # noqa: E402
from unspin.server import create_app  # noqa: E402

SPUN = "The White Home official mentioned Thursday that the warfare in Ukraine is nearing its fourth yr."
ORIGINAL = "The White House official said Thursday that the war in Ukraine is nearing its fourth year."


@pytest.fixture
def restorer(tiny_lexicon, unigram_scorer):
    return Restorer(lexicons=[str(tiny_lexicon)], scorer=unigram_scorer)


@pytest.fixture
def client(restorer):
    with TestClient(create_app(restorer, max_chars=1000), raise_server_exceptions=False) as client:
        yield client


def test_restore_answers_like_format_json(client, restorer):
    response = client.post("/restore", json={"text": SPUN})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    data = response.json()
    assert data["text"] == ORIGINAL
    assert data == json.loads(json.dumps(restorer.restore(SPUN).to_dict()))
    assert data["spin"]["words_restored"] == 4 and data["spin"]["words"] == 16 and "tiny" in data["spin"]["rates"]


@pytest.mark.parametrize("body, message", [
    (b'{"text": "unterminated', "not valid JSON"),
    (b"\xff\xfe not even UTF-8", "not valid JSON"),
    (b"", "not valid JSON"),
    (b'["a list"]', 'a "text" field'),
    (b'{"words": "no text field"}', 'a "text" field'),
    (b'{"text": 42}', '"text" must be a string'),
])
def test_malformed_requests_get_400_with_a_message(client, body, message):
    response = client.post("/restore", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert message in response.json()["error"] and "Traceback" not in response.text


def test_oversize_input_gets_413(client):
    response = client.post("/restore", json={"text": "word " * 201})  # 1,005 characters, limit 1,000
    assert response.status_code == 413
    assert response.json() == {"error": "the text has 1,005 characters; the limit is 1,000"}
    # A body far past the limit is refused while it is received, whatever it holds.
    huge = client.post("/restore", content=b"x" * 2_000_000)
    assert huge.status_code == 413 and "limit is 1,000 characters" in huge.json()["error"]
    page = client.post("/", data={"text": "word " * 201})
    assert page.status_code == 413 and "the limit is 1,000" in page.text


def test_two_concurrent_requests_are_both_answered_one_at_a_time(restorer, unigram_scorer):
    active, most = [0], [0]
    score_batch = unigram_scorer.score_batch

    def slow_score_batch(state, requests):
        active[0] += 1
        most[0] = max(most[0], active[0])
        time.sleep(0.2)  # long enough for the other request to arrive while this one is restored
        active[0] -= 1
        return score_batch(state, requests)

    unigram_scorer.score_batch = slow_score_batch
    texts = [SPUN, "Trump had informed reporters about the warfare."]
    expected = [restorer.restore(text).text for text in texts]
    most[0] = 0
    answers = [None, None]
    with TestClient(create_app(restorer)) as client:
        def post(number):
            answers[number] = client.post("/restore", json={"text": texts[number]})

        threads = [threading.Thread(target=post, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert [a.status_code for a in answers] == [200, 200]
    assert [a.json()["text"] for a in answers] == expected == [ORIGINAL, "Trump had told reporters about the war."]
    assert most[0] == 1  # the restorer was never used by both at once


def test_page_form_and_upload_show_the_report(client):
    page = client.get("/")
    assert page.status_code == 200 and "<textarea" in page.text and 'type="file"' in page.text
    report = client.post("/", data={"text": SPUN})
    assert report.status_code == 200
    assert "<del>warfare</del><ins>war</ins>" in report.text and "of the words restored" in report.text
    upload = client.post("/", files={"file": ("story.txt", SPUN.encode(), "text/plain")})
    assert upload.status_code == 200 and "story.txt" in upload.text and "<ins>year</ins>" in upload.text
    binary = client.post("/", files={"file": ("story.txt", b"\xff\x00\x01", "text/plain")})
    assert binary.status_code == 400 and "not a text file" in binary.text


def test_a_failure_is_a_500_without_a_traceback(restorer, monkeypatch):
    def broken(text):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(restorer, "restore", broken)
    with TestClient(create_app(restorer), raise_server_exceptions=False) as client:
        for response in (client.post("/restore", json={"text": SPUN}), client.post("/", data={"text": SPUN})):
            assert response.status_code == 500
            assert "secret internals" not in response.text and "Traceback" not in response.text


def test_serve_command_loads_the_model_once_and_binds_to_localhost(tiny_causal, tiny_lexicon, monkeypatch):
    import unspin.server
    from unspin.cli import app

    calls = []
    monkeypatch.setattr(unspin.server, "run_server", lambda *args: calls.append(args))
    result = CliRunner().invoke(app, ["serve", "--model", str(tiny_causal), "--lexicon", str(tiny_lexicon),
                                      "--max-chars", "5000"])
    assert result.exit_code == 0, result.output
    (restorer, host, port, max_chars), = calls
    assert (host, port, max_chars) == ("127.0.0.1", 8000, 5000)
    assert restorer._scorer is not None and restorer.settings.lexicons == ["tiny"]
    bad = CliRunner().invoke(app, ["serve", "--lexicon", "no-such-lexicon"])
    assert bad.exit_code == 2 and "error" in bad.output and "Traceback" not in bad.output
