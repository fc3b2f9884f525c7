from pathlib import Path

import pytest

from unspin.text.tokens import split_paragraphs, split_sentences, tokenize

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "001_35735e4cfd2e3926.txt"

TEXTS = [
    "U.S. President Donald Trump mentioned Thursday he was talking with Russia’s Vladimir Putin.",
    "“I’m chatting with President Putin now,” Trump wrote.\r\nNext line\twith a tab and a\u00a0nbsp 🙂.",
    "Sen. Lindsey Graham, R-S.C., together with Sen. Richard Blumenthal. A 3,350 ERAMs deal.",
    "",
]


@pytest.mark.parametrize("text", TEXTS)
def test_every_span_is_its_own_text(text: str) -> None:
    for span in tokenize(text) + split_sentences(text) + list(split_paragraphs(text)):
        assert text[span.start : span.end] == span.text


def test_offsets_shift() -> None:
    assert [(t.start, t.text) for t in tokenize("the war", offset=10)] == [(10, "the"), (14, "war")]


def test_words_clitics_and_initialisms() -> None:
    words = [t.text for t in tokenize("U.S. officials’ long-range don’t 3,350 Trump-Putin")]
    assert words == ["U.S.", "officials", "’", "long-range", "don", "’t", "3,350", "Trump-Putin"]


def test_sentences_do_not_break_after_abbreviations() -> None:
    text = "Sen. Lindsey Graham spoke. The U.S. Army agreed. “Yes,” he said."
    assert [s.text for s in split_sentences(text)] == [
        "Sen. Lindsey Graham spoke.", "The U.S. Army agreed.", "“Yes,” he said."]


@pytest.mark.skipif(not SEED.is_file(), reason="seed not present")
def test_seed_spans() -> None:
    text = SEED.read_text(encoding="utf-8")
    tokens = tokenize(text)
    assert all(text[t.start : t.end] == t.text for t in tokens)
    assert len(tokens) > 1000
