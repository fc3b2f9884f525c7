"""Tortured phrases are fingerprints: restored in running text unless the context rules them out."""

from pathlib import Path

import pytest

from unspin import Restorer
from unspin.lexicon.format import Lexicon, LexiconEntry, LexiconError, read_lexicon
from unspin.lexicon.tortured import fingerprints
from unspin.restoring.lattice import Vocabulary, build_lattice
from unspin.text.tokens import tokenize

TORTURED = """\
# name: fp
# source: written by the tests
# licence: CC0-1.0
# version: 1
# weights: probability
{prior}bosom peril\tbreast cancer\t1
"""
# A thesaurus that reads "peril" as "danger" (a reading of a part of the tortured phrase) and "early bosom"
# as "first chest" (a reading that overlaps it).
SYNONYMS = """\
# name: synonyms
# source: written by the tests
# licence: CC0-1.0
# version: 1
# weights: probability
peril\tdanger\t0.5
early bosom\tfirst chest\t0.5
"""
SPUN = "Early bosom peril screening saves lives."
# The model finds the original a little likelier than the text, and the reading that keeps "bosom"
# ("bosom danger") likelier still: a single-word reading must not beat the fingerprint.
SCORES = {"bosom": -6.0, "peril": -6.0, "breast": -5.25, "cancer": -5.25, "danger": -4.0}


def _lexicons(tmp_path: Path, fingerprint: bool) -> list[str]:
    tortured = tmp_path / "fp.tsv"
    tortured.write_text(TORTURED.format(prior="# prior: fingerprint\n" if fingerprint else ""), encoding="utf-8")
    synonyms = tmp_path / "synonyms.tsv"
    synonyms.write_text(SYNONYMS, encoding="utf-8")
    return [str(tortured), str(synonyms)]


def _restorer(tmp_path, unigram_scorer, fingerprint: bool, scores: dict[str, float] = SCORES) -> Restorer:
    scorer = type(unigram_scorer)({**unigram_scorer.scores, **scores}, unigram_scorer.default)
    return Restorer(lexicons=_lexicons(tmp_path, fingerprint), scorer=scorer)


def test_a_fingerprint_in_running_text_is_restored(tmp_path, unigram_scorer):
    result = _restorer(tmp_path, unigram_scorer, fingerprint=True).restore(SPUN)
    assert result.text == "Early breast cancer screening saves lives."
    assert [(e.original, e.replacement, e.lexicon) for e in result.edits] == [
        ("bosom peril", "breast cancer", "fp")]


def test_the_same_phrase_without_the_fingerprint_prior_is_left_alone(tmp_path, unigram_scorer):
    # As a plain thesaurus entry (a 5% spin rate), the model's slight preference is not enough.
    assert _restorer(tmp_path, unigram_scorer, fingerprint=False).restore(SPUN).text == SPUN


def test_context_that_rules_the_original_out_keeps_the_phrase(tmp_path, unigram_scorer):
    fitting = {**SCORES, "bosom": -3.0, "peril": -3.0}  # the text reads far better than the original
    assert _restorer(tmp_path, unigram_scorer, fingerprint=True, scores=fitting).restore(SPUN).text == SPUN


def test_no_reading_of_a_part_of_a_fingerprint_enters_the_lattice(tmp_path):
    lexicons = [Lexicon.load(path) for path in _lexicons(tmp_path, fingerprint=True)]
    slots = build_lattice(SPUN, tokenize(SPUN), lexicons, Vocabulary.default())
    assert [(slot.text, [option.text for option in slot.options]) for slot in slots] == [
        ("bosom peril", ["bosom peril", "breast cancer"])]
    (tmp_path / "plain").mkdir()
    plain = [Lexicon.load(path) for path in _lexicons(tmp_path / "plain", fingerprint=False)]
    slots = build_lattice(SPUN, tokenize(SPUN), plain, Vocabulary.default())
    assert {option.text for option in slots[0].options} == {
        "Early bosom peril", "Early breast cancer", "Early bosom danger", "First chest peril"}


def test_a_fingerprint_reading_is_scored_even_when_its_first_word_looks_unlikely(tmp_path, unigram_scorer):
    class PreviewingScorer(type(unigram_scorer)):
        """Judges every changed reading hopeless from the left context alone."""

        def first_difference(self, state, requests):
            return [[-50.0] * len(readings) for _, _, readings in requests]

    scorer = PreviewingScorer({**unigram_scorer.scores, **SCORES}, unigram_scorer.default)
    restorer = Restorer(lexicons=_lexicons(tmp_path, fingerprint=True), scorer=scorer, propose=False)
    assert restorer.restore(SPUN).text == "Early breast cancer screening saves lives."


def test_the_prior_is_read_from_the_lexicon_header(tmp_path):
    path = Path(_lexicons(tmp_path, fingerprint=True)[0])
    assert Lexicon.load(path).prior == "fingerprint"
    assert Lexicon.load(_lexicons(tmp_path, fingerprint=False)[1]).prior == "probability"
    assert Lexicon.load("tortured").prior == "fingerprint"
    path.write_text(TORTURED.format(prior="# prior: gospel\n"), encoding="utf-8")
    with pytest.raises(LexiconError, match="'prior' must be one of"):
        read_lexicon(path)


def test_phrases_ordinary_writers_use_are_not_fingerprints():
    entries = [LexiconEntry("counterfeit consciousness", "artificial intelligence", 1.0),
               LexiconEntry("machine studying", "machine learning", 1.0),
               LexiconEntry("machine learning", "discriminative learning", 1.0),  # a real term, listed too
               LexiconEntry("brilliant", "smart", 1.0),                     # an ordinary word
               LexiconEntry("cross-approval", "cross-validation", 1.0)]
    zipf = {"brilliant": 4.5}.get
    kept, left_out = fingerprints(entries, lambda word: zipf(word, 0.0))
    assert [entry.spun for entry in kept] == ["counterfeit consciousness", "machine studying", "cross-approval"]
    assert left_out == {"a listed phrase's reading": 1, "an ordinary word": 1}


# Listed tortured phrases in sentences of their own (not the benchmark's), with the real default model.
IN_RUNNING_TEXT = [
    ("Our counterfeit consciousness system labels each image in under a second.", "artificial intelligence"),
    ("The bosom peril cases were collected from two hospitals.", "breast cancer"),
    ("A bottomless learning model was fitted to the sensor readings.", "deep learning"),
    ("Commotion decrease improves the quality of the recorded speech.", "Noise reduction"),
    ("Colossal information platforms store the logs of every user.", "Big data"),
    ("We trained an irregular woodland on the answers of the survey.", "random forest"),
]
# Listed phrases that ordinary prose uses: the context rules the listed reading out.
IN_PLAIN_PROSE = [
    "Good business knowledge helps managers make better decisions.",  # listed: business intelligence
    "The vote marked a loss of equality for many citizens.",  # listed: loss of balance
]


@pytest.fixture(scope="module")
def default_restorer():
    return Restorer()


@pytest.mark.slow
def test_tortured_phrases_in_new_sentences_come_back(default_restorer):
    results = default_restorer.restore_many([spun for spun, _ in IN_RUNNING_TEXT])
    for (spun, original), result in zip(IN_RUNNING_TEXT, results):
        assert original in result.text, (spun, result.text)
        assert any(edit.lexicon == "tortured" for edit in result.edits)


@pytest.mark.slow
def test_listed_phrases_in_plain_prose_are_left_alone(default_restorer):
    assert [result.text for result in default_restorer.restore_many(IN_PLAIN_PROSE)] == IN_PLAIN_PROSE
