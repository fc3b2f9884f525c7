"""The reference spinner (unspin.evaluation.spin)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from unspin.cli import app
from unspin.evaluation.spin import match_case, spin_text
from unspin.lexicon.format import Lexicon, LexiconEntry, LexiconHeader, write_lexicon

TEXT = "Said the man. Officials said the White House says 3 wars ended. Trump said no."


@pytest.fixture()
def lexicon(tmp_path: Path) -> Lexicon:
    entries = [LexiconEntry("mention", "say", 1.0), LexiconEntry("white home", "white house", 1.0),
               LexiconEntry("warfare", "war", 1.0), LexiconEntry("ended", "the", 1.0)]
    return Lexicon.load(write_lexicon(tmp_path / "tiny.tsv", LexiconHeader("tiny", weights="count"), entries))


def test_full_rate_spins_with_inflection_and_casing(lexicon: Lexicon) -> None:
    result = spin_text(TEXT, [lexicon], rate=1.0, seed=1)
    assert result.text == ("Mentioned the man. Officials mentioned the White Home mentions 3 warfare ended. "
                           "Trump mentioned no.")
    for edit in result.edits:
        assert result.text[edit.start : edit.end] == edit.spun
    pairs = {(e.spun, e.original) for e in result.edits}
    assert pairs >= {("White Home", "White House"), ("mentions", "says")}


def test_function_words_numbers_and_names_are_kept(lexicon: Lexicon) -> None:
    result = spin_text("The Say company said 3 things.", [lexicon], rate=1.0, seed=0)
    assert result.text == "The Say company mentioned 3 things."


def test_deterministic_for_a_seed(lexicon: Lexicon) -> None:
    text = " ".join(["They said the war ended."] * 30)
    first, again = spin_text(text, [lexicon], 0.3, seed=7), spin_text(text, [lexicon], 0.3, seed=7)
    assert first == again and 0 < len(first.edits) < 60
    assert spin_text(text, [lexicon], 0.0, seed=7).text == text


@pytest.mark.parametrize(("source", "replacement", "expected"),
                         [("said", "mentioned", "mentioned"), ("Said", "mentioned", "Mentioned"),
                          ("SAID", "mentioned", "MENTIONED"), ("White House", "white home", "White Home")])
def test_match_case(source: str, replacement: str, expected: str) -> None:
    assert match_case(source, replacement) == expected


def test_cli_spin_writes_gold(tmp_path: Path, lexicon: Lexicon) -> None:
    (tmp_path / "in.txt").write_text(TEXT, encoding="utf-8")
    result = CliRunner().invoke(app, ["spin", str(tmp_path / "in.txt"), "--lexicon", str(lexicon.path),
                                      "--rate", "1", "--seed", "1", "-o", str(tmp_path / "out.txt"),
                                      "--gold-json", str(tmp_path / "gold.json")])
    assert result.exit_code == 0, result.output
    spun = (tmp_path / "out.txt").read_text(encoding="utf-8")
    gold = json.loads((tmp_path / "gold.json").read_text(encoding="utf-8"))
    assert all(spun[e["start"] : e["end"]] == e["spun"] for e in gold["edits"]) and gold["edits"]
