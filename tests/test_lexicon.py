"""Lexicon files, the tortured and thesaurus builders, and the shipped lexicons (offline, fast)."""

from __future__ import annotations

import gzip

import pytest

from unspin.lexicon.build import build_lexicon
from unspin.lexicon.format import (
    Lexicon,
    LexiconEntry,
    LexiconError,
    LexiconHeader,
    content_hash,
    read_lexicon,
    shipped_lexicons,
    write_lexicon,
)
from unspin.lexicon.thesaurus import ThesaurusOptions, invert_thesaurus, merge_sources, rank_synonyms
from unspin.lexicon.tortured import clean_expected, read_pps, tortured_entries

ENTRIES = [
    LexiconEntry("warfare", "war", 3.0),
    LexiconEntry("mentioned", "said", 4.0, "a note"),
    LexiconEntry("stated", "said", 1.0),
    LexiconEntry("warfare", "war", 3.0),  # duplicate rows collapse
]


# --- file format ----------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".tsv", ".tsv.gz", ".tsv.xz"])
def test_round_trip_with_hash(tmp_path, suffix):
    path = write_lexicon(tmp_path / f"tiny{suffix}", LexiconHeader("tiny", weights="count"), ENTRIES)
    header, entries = read_lexicon(path)
    assert header.name == "tiny" and header.weights == "count"
    assert entries == sorted(set(ENTRIES), key=lambda e: (e.spun, e.original))
    assert header.sha256 == content_hash(entries)
    again = write_lexicon(tmp_path / "again" / f"tiny{suffix}", LexiconHeader("tiny", weights="count"),
                          reversed(ENTRIES))
    assert again.read_bytes() == path.read_bytes()


def test_counts_become_probabilities(tmp_path):
    path = write_lexicon(tmp_path / "c.tsv", LexiconHeader("c", weights="count"), ENTRIES)
    lexicon = Lexicon.load(path)
    # count / (total + 1): one unit of mass stays with substitutes never seen
    assert lexicon.substitutes("said") == pytest.approx({"mentioned": 4 / 6, "stated": 1 / 6})
    assert [(c.original, c.channel) for c in lexicon.candidates("warfare")] == [("war", 0.75)]


def test_probabilities_are_kept(tmp_path):
    path = write_lexicon(tmp_path / "p.tsv", LexiconHeader("p", weights="probability"),
                         [LexiconEntry("home", "house", 0.25), LexiconEntry("assist", "help", 0.5)])
    assert Lexicon.load(path).candidates("home")[0].channel == pytest.approx(0.25)


@pytest.mark.parametrize("row, message", [
    ("warfare\twar", ":7: expected spun<TAB>original<TAB>weight"),
    ("warfare\twar\tmany", ":7: weight 'many' is not a number"),
])
def test_malformed_rows_name_their_line(tmp_path, row, message):
    path = tmp_path / "bad.tsv"
    path.write_text("# name: bad\n# weights: count\n\nmentioned\tsaid\t2\n# comment\n\n" + row + "\n")
    with pytest.raises(LexiconError, match=message):
        read_lexicon(path)


def test_bad_header_and_missing_file(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("# name: bad\n# weights: often\nmentioned\tsaid\t2\n")
    with pytest.raises(LexiconError, match="weights"):
        read_lexicon(path)
    with pytest.raises(LexiconError, match="not found"):
        read_lexicon(tmp_path / "missing.tsv")


# --- tortured phrases -----------------------------------------------------------------------

@pytest.mark.parametrize("tortured, expected, readings, note", [
    ("counterfeit consciousness", "artificial intelligence", ["artificial intelligence"], ""),
    ("aid vector machine", "support vector machine (svm)", ["support vector machine"], "(svm)"),
    ("6th era (6g)", "sixth-generation (6g)", ["sixth-generation (6g)"], ""),
    ("accu-disgusting", "accuracy ?", ["accuracy"], "uncertain"),
    ("affected man or woman care", "healthcare (?)", ["healthcare"], "uncertain"),
    ("administered education", "supervised [machine] learning", ["supervised learning"], "[machine]"),
    ("adversative association", "“adverse effect” or “negative relationship”",
     ["adverse effect", "negative relationship"], ""),
    ("a mind boggling want", "an incredible/ a staggering need", ["an incredible", "a staggering need"], ""),
    ("agony prescription", "???", [], "uncertain"),
    ("x", "effort expectancy, see https://example.org/a", ["effort expectancy"], "see https://example.org/a"),
    ("tcp/ip bundle", "TCP/IP packet", ["TCP/IP packet"], ""),
])
def test_clean_expected(tortured, expected, readings, note):
    assert clean_expected(tortured, expected) == (readings, note)


PPS = """tortured\texpected\tsources
counterfeit consciousness\tartificial intelligence\ttorturedcheck
Counterfeit Consciousness\tArtificial Intelligence\ttortured-phrase
bosom peril\tbreast cancer\ttorturedcheck
irregular woodland\trandom forest\ttorturedcheck
irregular woodland\trandom forest (?)\ttortured-phrase
profound learning\tdeep learning\ttorturedcheck
profound learning\tdeep understanding\ttortured-phrase
agony prescription\t???\ttorturedcheck
aid vector machine (svm)\tsupport vector machine (svm)\ttorturedcheck
"""


@pytest.fixture
def pps_file(tmp_path):
    path = tmp_path / "pps.tsv"
    path.write_text(PPS, encoding="utf-8")
    return path


def test_tortured_entries_merge_and_share(pps_file):
    entries = {(e.spun, e.original): e for e in tortured_entries(read_pps(pps_file))}
    assert entries["counterfeit consciousness", "artificial intelligence"].weight == 1.0
    assert entries["irregular woodland", "random forest"].note == "uncertain"
    assert entries["profound learning", "deep learning"].weight == 0.5
    assert entries["profound learning", "deep understanding"].weight == 0.5
    assert entries["aid vector machine ( svm )", "support vector machine ( svm )"].weight == 1.0
    assert entries["aid vector machine", "support vector machine"].note == "acronym dropped"
    assert not any(spun == "agony prescription" for spun, _ in entries)
    assert len(entries) == 7


def test_tortured_build_is_reproducible(tmp_path, pps_file):
    first = build_lexicon("tortured", tmp_path / "a" / "tortured.tsv.gz", pps=pps_file)
    second = build_lexicon("tortured", tmp_path / "b" / "tortured.tsv.gz", pps=pps_file)
    assert first.read_bytes() == second.read_bytes()
    header, _ = read_lexicon(first)
    assert header.licence == "CC BY 4.0" and header.weights == "probability"
    assert "Problematic Paper Screener" in header.extra["attribution"]
    assert "Cabanac" in gzip.decompress(first.read_bytes()).decode()


def test_bad_pps_and_bad_options(tmp_path):
    path = tmp_path / "pps.tsv"
    path.write_text("a\tb\n")
    with pytest.raises(LexiconError, match=":1: expected a header"):
        read_pps(path)
    with pytest.raises(LexiconError, match="unknown lexicon source"):
        build_lexicon("encyclopedia", tmp_path / "x.tsv")
    with pytest.raises(LexiconError, match="bad options"):
        build_lexicon("tortured", tmp_path / "x.tsv", spun=path)


# --- thesaurus inversion --------------------------------------------------------------------

WORDNET = {"war": frozenset({"warfare"}), "warfare": frozenset({"war"}), "help": frozenset({"assist", "aid"})}
MOBY = {"war": frozenset({"battle", "conflict", "warfare", "hostilities"}),
        "help": frozenset({"assist", "aid", "hand", "support"}),
        "battle": frozenset({"war", "conflict", "fight"}),
        "assist": frozenset({"help", "aid", "support"})}
ZIPF = {"war": 5.5, "warfare": 4.0, "battle": 4.8, "conflict": 4.9, "hostilities": 3.0, "help": 6.0,
        "assist": 4.5, "aid": 4.9, "hand": 5.8, "support": 5.4, "fight": 5.0}


def _keep(original: str, word: str) -> bool:
    return ZIPF.get(word, 0) >= 3.5


def test_rank_synonyms_prefers_shared_senses():
    merged = merge_sources(WORDNET, MOBY)
    ranked = rank_synonyms("war", merged, WORDNET, ZIPF.__getitem__, _keep)
    assert ranked[0] == "warfare"                # WordNet sense and a link both ways
    assert "hostilities" not in ranked           # refused by keep (too rare)
    assert set(ranked) == {"warfare", "battle", "conflict"}


def test_inversion_is_looked_up_by_the_spun_word():
    merged = merge_sources(WORDNET, MOBY)
    options = ThesaurusOptions(max_synonyms=2, rank_offset=1.0, max_originals=1)
    entries = invert_thesaurus(merged, WORDNET, ["war", "help"], ZIPF.__getitem__, _keep, options)
    rows = {(e.spun, e.original): e.weight for e in entries}
    total = 1.0 / 1 + 1.0 / 2                    # shares over a full list of max_synonyms
    assert rows[("warfare", "war")] == pytest.approx(1.0 / total)
    assert len([r for r in rows if r[1] == "war"]) == 2      # capped at max_synonyms
    assert all(spun != "war" for spun, _ in rows)            # direction: spun = the synonym
    spun_words = [spun for spun, _ in rows]
    assert len(spun_words) == len(set(spun_words))           # max_originals=1 per spun word


def test_short_lists_do_not_pile_up_probability():
    options = ThesaurusOptions(max_synonyms=4, rank_offset=1.0)
    entries = invert_thesaurus({"war": frozenset({"warfare"})}, {}, ["war"], lambda w: 5.0,
                               lambda o, w: True, options)
    assert entries == [LexiconEntry("warfare", "war", pytest.approx(1.0 / (1 + 1 / 2 + 1 / 3 + 1 / 4)))]


# --- shipped lexicons -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped():
    found = shipped_lexicons()
    if not {"thesaurus", "tortured"} <= set(found):
        pytest.skip("shipped lexicons not built")
    return {name: Lexicon.load(name) for name in ("thesaurus", "tortured")}


@pytest.mark.parametrize("name, spun, original", [
    ("tortured", "counterfeit consciousness", "artificial intelligence"),
    ("tortured", "bosom peril", "breast cancer"),
    ("thesaurus", "warfare", "war"),
    ("thesaurus", "assist", "help"),
    ("thesaurus", "permit", "allow"),
    ("thesaurus", "home", "house"),
    ("thesaurus", "finish", "end"),
])
def test_shipped_entries(shipped, name, spun, original):
    assert original in [c.original for c in shipped[name].candidates(spun)]


def test_thesaurus_holds_lemma_forms(shipped):
    thesaurus = shipped["thesaurus"]
    assert "mention" in thesaurus and "mentioned" not in thesaurus   # the restorer looks up lemmas
    assert all(0 < c.channel < 1 for c in thesaurus.candidates("warfare"))
    header = thesaurus.header
    assert "Princeton" in header.extra["attribution"] and header.weights == "probability"
