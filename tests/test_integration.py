"""End to end with the real default model (Gemma-3-270M from PyPI, converted once and cached)."""

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
