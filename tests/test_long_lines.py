"""Paragraphs without sentence ends and very long lines: bounded units, cuts between words, no byte lost."""

import itertools
import random
import time

import pytest

import unspin.restoring.pipeline
from unspin import Restorer
from unspin.restoring.edits import apply_edits
from unspin.restoring.units import CONTEXT_CHARACTERS, UNIT_MAX_CHARACTERS, context_start, paragraph_units, unit_tokens
from unspin.text.tokens import Span

WORDS = ["mentioned", "the", "warfare", "official", "said", "Ukraine", "yr", "home", "of", "a"]


def test_a_paragraph_without_sentence_ends_is_cut_between_words():
    rng = random.Random(1)
    text = "".join(rng.choice(WORDS) + rng.choice([" ", " ", "  ", "\t", "\u00a0"]) for _ in range(8_000))
    units = paragraph_units(Span(0, len(text), text))
    assert len(units) > len(text) // UNIT_MAX_CHARACTERS
    previous_end = 0
    for unit in units:
        assert unit.text == text[unit.start : unit.end] and 0 < len(unit.text) <= UNIT_MAX_CHARACTERS
        assert not text[previous_end : unit.start].strip()  # only white space falls between units
        assert unit.start == 0 or text[unit.start - 1].isspace()  # never inside a word
        assert unit.end == len(text) or text[unit.end].isspace()
        seen = context_start(unit)
        assert seen <= unit.start and (seen == unit.start or seen == 0 or text[seen - 1].isspace())
        previous_end = unit.end
    assert not text[previous_end:].strip()
    assert any(context_start(unit) < unit.start for unit in units)  # context carried across the cuts


def test_sentences_still_group_and_a_run_without_spaces_is_cut_between_tokens():
    sentences = " ".join(f"Sentence {n} is short." for n in range(200))
    units = paragraph_units(Span(0, len(sentences), sentences))
    assert all(u.text.endswith(".") and u.text[0] == "S" and len(u.text) <= UNIT_MAX_CHARACTERS for u in units)
    numbers = ";".join(str(n) for n in range(2_000)) + "(" + "x" * 5_000  # token boundaries, then none at all
    units = paragraph_units(Span(0, len(numbers), numbers))
    assert "".join(u.text for u in units) == numbers and all(len(u.text) <= UNIT_MAX_CHARACTERS for u in units)
    tokens = [t.text for u in units for t in unit_tokens(numbers, u)]
    assert set(tokens) >= {str(n) for n in range(2_000)}  # no number split
    assert not any(t.startswith("x") for t in tokens)  # pieces of the run are no words


@pytest.fixture
def bounded_units(monkeypatch):
    """Fails a model call on any unit longer than the cap allows, before the model runs on it (a unit
    of a whole 2 MB line asked for a 40 GB attention mask); returns the longest unit seen, in tokens."""
    from unspin.restoring.scoring.causal import CausalLMScorer

    longest = [0]
    prepare_many = CausalLMScorer.prepare_many

    def checked(self, units, *args, **kwargs):
        tokens = max(sum(len(self.encode(piece)) for piece in pieces) for pieces in units)
        assert tokens <= 4 * (UNIT_MAX_CHARACTERS + CONTEXT_CHARACTERS)  # bytes bound byte-level tokens
        longest[0] = max(longest[0], tokens)
        return prepare_many(self, units, *args, **kwargs)

    monkeypatch.setattr(CausalLMScorer, "prepare_many", checked)
    return longest


def test_a_2_mb_line_restores_block_by_block_in_bounded_units(tiny_causal, tiny_lexicon, bounded_units,
                                                             monkeypatch):
    monkeypatch.setattr(unspin.restoring.pipeline, "BLOCK_CHARACTERS", 2_000)  # a few small blocks show it all
    restorer = Restorer(model=str(tiny_causal), lexicons=[tiny_lexicon], threshold=0.0)
    text = " ".join(["mentioned"] * 200_000)
    blocks = list(itertools.islice(restorer.restore_lines(iter([text])), 3))
    assert len(blocks) == 3 and text.startswith("".join(block.source for block in blocks))
    for block in blocks:
        assert block.source.endswith(" ") and len(block.source) <= 4 * 2_000  # cut between words
        assert block.edits and apply_edits(block.source, block.edits) == block.text
    assert bounded_units[0] > 0


def test_time_grows_linearly_on_a_line_without_sentence_ends(tiny_causal, tiny_lexicon, bounded_units,
                                                            monkeypatch):
    monkeypatch.setattr(unspin.restoring.pipeline, "BLOCK_CHARACTERS", 2_000)
    restorer = Restorer(model=str(tiny_causal), lexicons=[tiny_lexicon], threshold=0.0)
    restorer.restore("warm up: mentioned")
    seconds = {}
    for words in (400, 1_600):
        text = " ".join(["mentioned"] * words)
        started = time.perf_counter()
        result = restorer.restore(text)
        seconds[words] = time.perf_counter() - started
        assert len(result.edits) == words and apply_edits(text, result.edits) == result.text
    assert seconds[1_600] < 8 * seconds[400]  # 4 times the text; 16 times if it grew with its square


@pytest.mark.parametrize("ending", ["", "\n", "\r\n"])
def test_a_stream_of_long_lines_keeps_every_byte(unigram_scorer, tiny_lexicon, ending, monkeypatch):
    monkeypatch.setattr(unspin.restoring.pipeline, "BLOCK_CHARACTERS", 2_000)
    restorer = Restorer(scorer=unigram_scorer, lexicons=[tiny_lexicon], threshold=0.0)
    rng = random.Random(2)
    lines = ["".join(rng.choice(WORDS) + rng.choice([" ", "\u00a0", "  "]) for _ in range(rng.randrange(5_000)))
             + ending for _ in range(6)]
    blocks = list(restorer.restore_lines(iter(lines)))
    assert "".join(block.source for block in blocks) == "".join(lines)
    for block in blocks:
        assert len(block.source) <= 4 * 2_000 and apply_edits(block.source, block.edits) == block.text
        assert block.source[-1:].isspace() or block is blocks[-1]


def test_a_file_with_a_long_line_is_read_in_pieces(tmp_path):
    from unspin.sources import CHUNK, open_lines

    content = "short line\r\n" + "word " * 600_000 + "\nlast"
    path = tmp_path / "long.txt"
    path.write_bytes(content.encode("utf-8"))
    lines = list(open_lines(str(path)))
    assert "".join(lines) == content and max(map(len, lines)) <= CHUNK and lines[0] == "short line\r\n"
