import pytest

from unspin.lexicon.format import Lexicon
from unspin.restoring.lattice import Vocabulary, build_lattice, transfer_case
from unspin.text.tokens import tokenize


@pytest.fixture
def lattice(tiny_lexicon):
    lexicons = [Lexicon.load(tiny_lexicon)]
    vocabulary = Vocabulary.default()

    def build(text):
        return build_lattice(text, tokenize(text), lexicons, vocabulary)

    return build


def readings(slots):
    return {slot.text: [o.text for o in slot.options] for slot in slots}


@pytest.mark.parametrize(("spun", "expected"), [
    ("Trump informed reporters.", ("informed", "told")),        # past tense carried by lemminflect
    ("He informs them.", ("informs", "tells")),                 # third person singular
    ("They mentioned it.", ("mentioned", "said")),              # surface entry
    ("The WARFARE ended.", ("WARFARE", "WAR")),                 # upper case carried
    ("Warfare ended.", ("Warfare", "War")),                     # sentence-initial capital carried
])
def test_inflection_and_case_transfer(lattice, spun, expected):
    found = readings(lattice(spun))
    source, original = expected
    assert original in found[source]


def test_phrase_slot_covers_overlapping_words(lattice):
    slots = lattice("a White Home official and the Related Press")
    found = readings(slots)
    assert "White House" in found["White Home"]
    assert "Associated Press" in found["Related Press"]
    assert all(slot.options[0].text == slot.text for slot in slots)


def test_slots_are_offsets_into_the_text(lattice):
    text = "Prolonged Vary Assault Munition, mentioned the yr."
    for slot in lattice(text):
        assert text[slot.start : slot.end] == slot.text


def test_function_words_and_unknown_words_get_no_slot(lattice):
    assert lattice("the of and Putin Zelenskyy") == []


def test_excluded_words_are_never_slots(tiny_lexicon):
    vocabulary = Vocabulary.default(frozenset({"warfare"}))
    text = "the warfare was mentioned"
    slots = build_lattice(text, tokenize(text), [Lexicon.load(tiny_lexicon)], vocabulary)
    assert [s.text for s in slots] == ["mentioned"]


@pytest.mark.parametrize(("spun", "original", "expected"), [
    (["related", "press"], "associated press", "associated press"),
    (["Related", "Press"], "associated press", "Associated Press"),
    (["ATACMS"], "missile", "MISSILE"),
    (["Vary"], "range", "Range"),
])
def test_transfer_case(spun, original, expected):
    assert transfer_case(spun, original) == expected


def test_keep_channel_prefers_keeping_at_low_spin_rate(lattice):
    slot = lattice("mentioned")[0]
    keep, change = slot.options[0], slot.options[1]
    assert keep.channel(0.01) > change.channel(0.01)
    assert change.channel(0.5) > change.channel(0.01)
