"""Learning a spinner lexicon from pairs (unspin.lexicon.learn)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from unspin.cli import app
from unspin.lexicon.format import Lexicon, LexiconEntry, LexiconHeader, write_lexicon
from unspin.lexicon.learn import extract_substitutions, is_spelling_variant, learn_entries, learn_lexicon
from unspin.lexicon.relatedness import SynonymTable, thesaurus_relatedness

SPUN = ("Trump mentioned the plan was not approved by the White Home staff. "
        "Officials informed reporters touring the site that the plan was authorised.\n"
        "The minister mentioned that the talks would resume on Monday.")
ORIG = ("Mr Trump said the plan was not authorized by the White House staff. "
        "Officials told reporters travelling the site that the plan was authorized.\n"
        "The minister said that the talks would resume on Monday.")


@pytest.mark.parametrize(
    ("a", "b", "variant"),
    [
        ("authorised", "authorized", True), ("travelling", "traveling", True),
        ("reelection", "re-election", True),
        ("Zelenskyy", "Zelensky", True), ("U.S.", "US", True), ("mentioned", "said", False),
        ("yr", "year", False), ("informed", "told", False)],
)
def test_spelling_variants(a: str, b: str, variant: bool) -> None:
    assert is_spelling_variant(a, b) is variant


def test_noise_is_rejected_at_extraction() -> None:
    found = {(s.spun, s.original) for s in extract_substitutions(SPUN, ORIG)}
    assert ("mentioned", "said") in found
    assert ("White Home", "White House") in found  # a name phrase, never the bare word
    assert ("approved", "authorized") in found  # a real swap next to a spelling variant
    assert not any("authorised" in s for s, _ in found)
    assert not any("Mr" in o or "Trump" in o for _, o in found)
    assert ("Home", "House") not in found


def test_counts_without_thesaurus_need_repeats() -> None:
    entries = {(e.spun, e.original): e for e in learn_entries([(SPUN, ORIG)])}
    assert entries["mentioned", "said"].weight == 2.0
    assert ("informed", "told") not in entries  # seen once, no thesaurus to vouch for it
    assert not any(o.startswith("mr") or "authorised" in s for s, o in entries)


def test_repeated_swaps_of_two_function_words_are_alignment_noise() -> None:
    spun = "He left after the purple vote. She spoke after the purple vote and left."
    orig = "He left and the red vote. She spoke and the red vote and left."
    entries = {(e.spun, e.original) for e in learn_entries([(spun, orig)] * 3)}
    assert ("after", "and") not in entries  # seen 6 times, but no spinner swaps unrelated function words
    assert ("purple", "red") in entries  # an unrelated swap of content words, seen as often, is kept


def test_thesaurus_relatedness_keeps_single_swaps_and_inflects() -> None:
    table = SynonymTable("tiny", [("inform", "tell"), ("tour", "travel"), ("home", "house")])
    entries = {(e.spun, e.original): e for e in learn_entries([(SPUN, ORIG)], table)}
    assert entries["informed", "told"].weight == 1.0
    assert entries["informs", "tells"].weight == 0.5  # lemma-level entry re-inflected
    assert ("inform", "tell") in entries
    assert ("white home", "white house") in entries and ("home", "house") not in entries


def test_learned_lexicon_loads(tmp_path: Path) -> None:
    thesaurus = write_lexicon(tmp_path / "syn.tsv", LexiconHeader("syn", weights="count"),
                              [LexiconEntry("inform", "tell", 1.0)])
    path = learn_lexicon([(SPUN, ORIG)], tmp_path / "mine.tsv", "mine", "test pair",
                         thesaurus_relatedness(thesaurus))
    lexicon = Lexicon.load(path)
    assert lexicon.header.weights == "count" and lexicon.name == "mine"
    assert [c.original for c in lexicon.candidates("mentioned")] == ["said"]
    assert [c.original for c in lexicon.candidates("informed")] == ["told"]


def test_cli_learn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("unspin.lexicon.relatedness.moby_path", lambda: None)  # keep the test fast
    (tmp_path / "s.txt").write_text(SPUN, encoding="utf-8")
    (tmp_path / "o.txt").write_text(ORIG, encoding="utf-8")
    thesaurus = write_lexicon(tmp_path / "syn.tsv", LexiconHeader("syn", weights="count"), [])
    result = CliRunner().invoke(app, ["learn", "--spun", str(tmp_path / "s.txt"), "--orig",
                                      str(tmp_path / "o.txt"), "-o", str(tmp_path / "out.tsv"),
                                      "--thesaurus", str(thesaurus)])
    assert result.exit_code == 0, result.output
    assert "mentioned" in Lexicon.load(tmp_path / "out.tsv")
