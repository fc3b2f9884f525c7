"""Property-based tests (hypothesis): odd Unicode, any lengths and white space.

For any text: nothing raises, the edits re-apply to the input to give the output exactly, each
edit's ``original`` is the input at its offsets, and so every character outside an edit is kept;
a stream's blocks put together are the input; units stay bounded and hold every non-space
character. Fast with the unigram scorer and the tiny random causal LM; one slow-marked test runs
the real default model on a few examples.
"""

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from unspin import Restorer
from unspin.restoring.edits import apply_edits
from unspin.restoring.units import UNIT_MAX_CHARACTERS, context_start, paragraph_units
from unspin.text.tokens import split_paragraphs

SPUN_WORDS = ["mentioned", "warfare", "yr", "White Home", "Related Press", "informed", "counterfeit consciousness",
              "Prolonged Vary Assault", "home", "MENTIONED", "Mentioned"]
ODD = [
    "\u0301", "\u0308", "e\u0301", "\u202e", "\u202c", "\u200f", "\u2066", "\u2069",  # combining marks, bidi
    "\u200b", "\u200c", "\u200d", "\ufeff", "\u2060",  # zero-width characters
    "😀", "👩\u200d👩\u200d👧", "🇺🇦", "1\ufe0f\u20e3",  # emoji, joined and flags
    "\r\n", "\r", "\n", "\n\n", "\t", "\u00a0", "\u2009", "\u3000", "\u2028",  # line ends, odd spaces
    "ﬁ", "ﬂ", "Ǆ", "ß", "İ", "’", "“", "”", "—", "…", ".", ",", "'s", "U.S.", "3,350", "-",
]
WHITE = [" ", "  ", "\t", "\u00a0", "\n", "\r\n", " \n "]

pieces = st.one_of(
    st.sampled_from(SPUN_WORDS),
    st.sampled_from(ODD),
    st.sampled_from(WHITE),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=6),
)
texts = st.lists(pieces, max_size=40).map("".join)


def check(text: str, restoration) -> None:
    event("with edits" if restoration.edits else "without edits")  # shown by --hypothesis-show-statistics
    assert restoration.source == text
    assert apply_edits(text, restoration.edits) == restoration.text
    position = 0
    for edit in sorted(restoration.edits, key=lambda e: e.start):
        assert position <= edit.start < edit.end <= len(text)  # disjoint, inside the text
        assert text[edit.start : edit.end] == edit.original != edit.replacement
        position = edit.end


@pytest.fixture(scope="module")
def unigram_restorer(tmp_path_factory):
    from conftest import CORPUS, TINY_LEXICON, UnigramScorer

    lexicon = tmp_path_factory.mktemp("lexicon") / "tiny.tsv"
    lexicon.write_text(TINY_LEXICON, encoding="utf-8")
    scores = {w.lower().strip(".,"): -2.0 for line in CORPUS for w in line.split()}
    return Restorer(scorer=UnigramScorer(scores, default=-9.0), lexicons=[lexicon], threshold=0.0)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(texts)
def test_any_text_restores_with_every_character_outside_an_edit_kept(unigram_restorer, text):
    check(text, unigram_restorer.restore(text))


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(texts, min_size=1, max_size=4))
def test_texts_restored_together_and_streams_keep_every_byte(unigram_restorer, batch):
    for text, restoration in zip(batch, unigram_restorer.restore_many(batch)):
        check(text, restoration)
    stream = "".join(batch)
    blocks = list(unigram_restorer.restore_lines(iter(stream.splitlines(keepends=True))))
    assert "".join(block.source for block in blocks) == stream
    for block in blocks:
        check(block.source, block)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(texts, st.integers(8, 60), st.integers(0, 30))
def test_units_are_bounded_and_hold_every_non_space_character(text, limit, context):
    for paragraph in split_paragraphs(text):
        units = paragraph_units(paragraph, limit, context)
        covered = set()
        for unit in units:
            assert unit.text == text[unit.start : unit.end]
            assert len(unit.text) <= limit or units == [paragraph]
            assert paragraph.start <= context_start(unit) <= unit.start
            covered.update(range(unit.start, unit.end))
        # Only white space falls between units: no other character escapes restoration.
        assert all(i in covered for i in range(paragraph.start, paragraph.end) if not text[i].isspace())


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_the_tiny_causal_model_takes_any_text(tiny_causal_restorer, text):
    check(text, tiny_causal_restorer.restore(text))


@pytest.fixture(scope="module")
def tiny_causal_restorer(tiny_causal, tmp_path_factory):
    from conftest import TINY_LEXICON

    lexicon = tmp_path_factory.mktemp("lexicon") / "tiny.tsv"
    lexicon.write_text(TINY_LEXICON, encoding="utf-8")
    return Restorer(model=str(tiny_causal), lexicons=[lexicon], threshold=0.0)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(SPUN_WORDS), st.sampled_from(ODD[:17]), st.sampled_from(WHITE[:4])),
                min_size=300, max_size=500))
def test_paragraphs_without_sentence_ends_restore_exactly(unigram_restorer, words):
    text = "".join(words)  # one line of some 2,000 characters: cut into units at white space
    assert len(max(text.splitlines() or [""], key=len)) > UNIT_MAX_CHARACTERS
    check(text, unigram_restorer.restore(text))


@pytest.mark.slow
@settings(max_examples=4, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(pieces, min_size=5, max_size=25).map("".join))
def test_the_real_model_takes_any_text(real_restorer, text):
    check(text, real_restorer.restore(text))


@pytest.fixture(scope="module")
def real_restorer():
    return Restorer()  # the default model and the shipped lexicons
