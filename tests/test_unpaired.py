"""Inducing a spinner lexicon from spun text alone (unspin.lexicon.unpaired, unspin learn --unpaired).

The folder is made by the reference spinner (:func:`unspin.evaluation.spin.spin_text`) with a known
dictionary; the learner sees only the spun files. Its language model is a unigram fake that knows the
clean texts' word frequencies and offers the free preview (``first_difference``) that a causal LM
offers, so the restorer's real proposal path runs: the shipped related-words table proposes originals
for every word, the preview keeps the likely ones, the decoder and the folder's evidence choose.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from unspin import Edit
from unspin.cli import app
from unspin.evaluation.spin import spin_text
from unspin.lexicon.format import Lexicon, LexiconEntry, LexiconHeader, read_lexicon, write_lexicon
from unspin.lexicon.unpaired import Evidence, UnpairedSettings, learn_unpaired, mapping_of

CLEAN = [
    "The mayor said the city will help families whose home was damaged in the storm. She said the first "
    "repairs began on Monday and that many volunteers came to help.",
    "Doctors said the war had left many children without a home. One doctor said the first clinic in the "
    "city began to treat children last week.",
    "The council said it would use the new budget to help the city buy buses. Officials often use old cars, "
    "the mayor said, and many of them break down.",
    "A doctor in the city said children often walk to school because their families cannot afford a car. "
    "She said the first step is to show parents that help is there.",
    "The war began three years ago, and the city has changed since then. Many families left their home, and "
    "the ones that stayed often say the war is the first thing on their minds.",
    "Teachers said the children will show their work at the city hall. The first exhibition began on "
    "Friday, and many parents came to see what the children can do.",
    "Police said a car hit a wall near the school. The doctor who was first at the scene said the driver "
    "did not use a seat belt and was often seen driving fast.",
    "The report said families use savings to buy food, and many do not have enough money for rent. Aid "
    "groups said they will help, but the money is not enough.",
    "Farmers said the dry season began early this year. Many of them often use wells, but there is not "
    "enough water, and some have sold a car to buy seed.",
    "The museum said it will show paintings that children made during the war. Visitors often say the "
    "first room, with drawings of home, is the one they remember.",
    "Residents said the new road will help the city and show that the council listens. The first part "
    "began in May, and many drivers already use it to get home.",
    "A doctor said the hospital does not have enough beds for children and often has to send them home. "
    "The city said it will use federal money to help.",
]
# The spinner's dictionary (original -> spun); it rewrites 90% of the words it knows.
SPINNER = [("said", "stated"), ("war", "warfare"), ("help", "assist"), ("city", "metropolis"),
           ("home", "residence"), ("begin", "commence"), ("doctor", "physician"), ("children", "youngsters"),
           ("car", "automobile"), ("often", "frequently"), ("use", "utilize"), ("show", "demonstrate"),
           ("first", "initial"), ("many", "numerous"), ("enough", "sufficient"), ("buy", "purchase")]
RATE = 0.9


class PreviewUnigram:
    """A fake causal LM: a word's log-probability is its frequency in the clean texts (unknown
    words: far less likely), and ``first_difference`` previews a reading by its first changed slot."""

    name = "unigram-preview-fake"

    def __init__(self, texts: list[str]):
        words = [w.lower().strip(".,") for text in texts for w in text.split()]
        self.scores = {w: math.log(c / len(words)) for w, c in Counter(words).items()}

    def _score(self, text: str) -> float:
        return sum(self.scores.get(w.lower().strip(".,"), -20.0) for w in text.split())

    def prepare(self, pieces):
        return list(pieces)

    def score(self, state, first, last, readings):
        return [sum(self._score(text) for text in reading) for reading in readings]

    def score_batch(self, state, requests):
        return [self.score(state, first, last, readings) for first, last, readings in requests]

    def first_difference(self, state, requests):
        return [[self._first(state, first, reading) for reading in readings] for first, _, readings in requests]

    def _first(self, state, first, reading) -> float:
        for k, text in enumerate(reading):
            shown = state[2 * (first + k) + 1]
            if text != shown:
                return self._score(text) - self._score(shown)
        return 0.0


@dataclass
class Folder:
    path: Path
    gold: Counter  # (spun, original) -> times the spinner made it
    lexicons: list[Path]  # what the learner restores with: a lexicon that knows none of the spinner's words


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Folder:
    root = tmp_path_factory.mktemp("unpaired")
    spinner = Lexicon.load(write_lexicon(root / "spinner.tsv", LexiconHeader("spinner", weights="count"),
                                         [LexiconEntry(spun, original, 1.0) for original, spun in SPINNER]))
    empty = write_lexicon(root / "none.tsv", LexiconHeader("none", weights="count"), [])
    spun = root / "spun"
    spun.mkdir()
    gold: Counter = Counter()
    for number, text in enumerate(CLEAN):
        result = spin_text(text, [spinner], RATE, seed=number)
        (spun / f"{number:02d}.txt").write_text(result.text, encoding="utf-8")
        gold.update((edit.spun.lower(), edit.original.lower()) for edit in result.edits)
    return Folder(spun, gold, [empty])


@pytest.fixture(scope="module")
def learned(folder: Folder, tmp_path_factory: pytest.TempPathFactory):
    calls: list[tuple[int, int]] = []
    result = learn_unpaired(sorted(folder.path.glob("*.txt")), tmp_path_factory.mktemp("out") / "site.tsv",
                            lexicons=folder.lexicons, scorer=PreviewUnigram(CLEAN),
                            progress=lambda done, total: calls.append((done, total)))
    return result, calls


def test_recovers_the_spinners_frequent_mappings(folder: Folder, learned) -> None:
    result, _ = learned
    lexicon = Lexicon.load(result.path)
    frequent = [key for key, count in folder.gold.items() if count >= 3]
    assert len(frequent) >= 10
    recovered = [(spun, original) for spun, original in frequent
                 if original in [c.original for c in lexicon.candidates(spun)]]
    assert len(recovered) >= 0.8 * len(frequent), sorted(set(frequent) - set(recovered))
    # What it learned is the spinner's dictionary, not the model's taste for common words.
    assert sum(key in folder.gold for key in result.mappings) >= 0.9 * len(result.mappings)


def test_lexicon_is_valid_with_provenance(learned) -> None:
    result, calls = learned
    header, entries = read_lexicon(result.path)
    assert header.weights == "count" and header.name == "site" and header.sha256
    assert "12 spun files" in header.source
    assert header.extra["model"] == "unigram-preview-fake" and header.extra["files"] == "12"
    assert "min_count=2.0" in header.extra["learner"] and header.extra["lexicons"].startswith("none:")
    assert header.extra["proposals"] != "none"  # the model's proposals were on
    rows = {(e.spun, e.original): e for e in entries}
    assert rows["stated", "said"].weight >= 10
    assert rows["state", "say"].note == "inflection of stated->said"  # lemma level, re-inflected
    assert rows["state", "say"].weight < rows["stated", "said"].weight
    assert calls[0] == (0, 24) and calls[-1] == (24, 24)  # two rounds over 12 files


def test_one_off_and_doubtful_mappings_are_not_kept() -> None:
    source = "The yr ended. The yr began. A yr passed. Big fuss. Large fuss, he mentioned."
    evidence = Evidence()
    evidence.add(0, source, [Edit(4, 6, "yr", "year", 0.95), Edit(19, 21, "yr", "year", 0.9)])
    evidence.add(1, source, [Edit(30, 32, "yr", "year", 0.9), Edit(41, 44, "Big", "Huge", 0.99),
                             Edit(51, 56, "Large", "Great", 0.6), Edit(51, 56, "Large", "Great", 0.6),
                             Edit(51, 56, "Large", "Great", 0.6), Edit(51, 56, "Large", "Great", 0.6)])
    kept = evidence.kept(UnpairedSettings(min_confidence=0.7))
    assert set(kept) == {("yr", "year")}  # "big" once; "large" often but never with confidence
    assert kept["yr", "year"].occurrences == 3 and kept["yr", "year"].files == {0, 1}


@pytest.mark.parametrize(
    ("text", "start", "end", "replacement", "expected"),
    [
        ("Aides at the White Home official residence", 19, 23, "House", ("white home", "white house", True)),
        ("the Related Press reported", 4, 11, "Associated", ("related press", "associated press", True)),
        ("Mentioned by the aide, it stuck.", 0, 9, "Said", ("mentioned", "said", False)),
        ("It ended. “Mentioned by the aide", 11, 20, "Said", ("mentioned", "said", False)),
        ("both the Home and the Senate", 9, 13, "House", None),  # a name, nothing to widen to
        ("tariffs on U.S. Metal shares", 16, 21, "Steel", ("u.s. metal", "u.s. steel", True)),
        ("it ended. Metal prices rose", 10, 15, "Steel", ("metal", "steel", False)),
        ("The Metal index rose", 4, 9, "Steel", None),
        ("White Home aides", 6, 10, "House", ("white home", "white house", True)),
        ("she mentioned it", 4, 13, "said", ("mentioned", "said", False)),
        ("she mentioned it", 4, 13, "Mentioned", None),
    ],
)
def test_mapping_of_keeps_names_whole(text, start, end, replacement, expected) -> None:
    assert mapping_of(text, Edit(start, end, text[start:end], replacement, 1.0)) == expected


def test_cli_learn_unpaired(folder: Folder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scorer = PreviewUnigram(CLEAN)
    monkeypatch.setattr("unspin.restoring.pipeline.load_scorer", lambda model=None, progress=False: scorer)
    output = tmp_path / "site.tsv.gz"
    result = CliRunner().invoke(app, ["learn", "--unpaired", str(folder.path), "-o", str(output),
                                      "--lexicon", str(folder.lexicons[0]), "--min-count", "3",
                                      "--no-progress"])
    assert result.exit_code == 0, result.output
    assert str(output) in result.output
    header, entries = read_lexicon(output)
    assert header.source == f"induced by unspin learn --unpaired from 12 spun files in {folder.path}"
    assert "min_count=3.0" in header.extra["learner"]
    assert ("metropolis", "city") in {(e.spun, e.original) for e in entries}
    assert Lexicon.load(output).candidates("frequently")[0].original == "often"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "give --spun and --orig (aligned pairs), or --unpaired (spun text alone)"),
        (["--spun", "s.txt"], "give --spun and --orig (aligned pairs), or --unpaired (spun text alone)"),
        (["--unpaired", "d", "--spun", "s.txt"], "--unpaired learns from spun text alone"),
        (["--unpaired", "missing"], "missing: no such file"),
    ],
)
def test_cli_learn_needs_one_source(arguments: list[str], message: str, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    result = CliRunner().invoke(app, ["learn", "-o", "out.tsv", *arguments])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("unspin: error: ") and message in lines[0]
    assert not (tmp_path / "out.tsv").exists()
