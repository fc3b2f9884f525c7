"""End to end with the real default model (Gemma-3-270M from PyPI, converted once and cached)."""

from pathlib import Path

import pytest

from unspin import Restorer

SPUN = "The White Home official mentioned Thursday that the warfare in Ukraine is nearing its fourth yr."


@pytest.fixture(scope="module")
def restorer():
    return Restorer()  # the default model and the shipped lexicons, as `unspin restore` uses them


def test_example_sentence_comes_back(restorer):
    result = restorer.restore(SPUN)
    assert "White House" in result.text
    assert " said " in result.text
    assert " war " in result.text
    assert result.text.endswith("fourth year.")
    # Everything else is unchanged: only the four spun words were edited.
    assert sorted(e.original for e in result.edits) == ["Home", "mentioned", "warfare", "yr"]


def test_clean_sentence_is_left_alone(restorer):
    clean = "Putin has made clear that providing Ukraine with Tomahawks would cross a red line."
    assert restorer.restore(clean).text == clean


SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "real-pairs"


@pytest.mark.slow
@pytest.mark.skipif(not SHARED.is_dir(), reason="the development pairs live in ../shared")
def test_a_real_content_farm_page_of_an_unseen_story_comes_back(restorer):
    from unspin.evaluation.metrics import TextPair, evaluate

    spun = (SHARED / "d06.spun.txt").read_text(encoding="utf-8")
    original = (SHARED / "d06.orig.txt").read_text(encoding="utf-8")
    restored = restorer.restore(spun).text
    # No lexicon knows "Metal" for "Steel": the model proposes it and the document agrees.
    assert "Metal" in spun and restored.count("Nippon Steel") == spun.count("Nippon Metal")
    assert restored.count("U.S. Steel") >= spun.count("U.S. Metal") - 1
    report = evaluate([TextPair("d06", spun, original)], lambda text: restored, {})
    metrics = report.system.metrics()
    assert metrics["recall"] >= 0.2 and metrics["precision"] >= 0.6  # the spun page: recall 0.0
