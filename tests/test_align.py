"""Token and sentence alignment (unspin.text.align)."""

from __future__ import annotations

import pytest

from unspin.text.align import Block, align_sentences, boundary_map, diff_tokens, similarity, token_errors


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("a b c", "a x c", [Block(1, 2, 1, 2)]),
        ("x y c", "a b c", [Block(0, 1, 0, 1), Block(1, 2, 1, 2)]),  # n:n split into 1:1
        ("he appears to be like him", "he looks like him", [Block(1, 4, 1, 2)]),  # n:m kept whole
        ("mr trump said", "trump said", [Block(0, 1, 0, 0)]),
        ("same words", "same words", []),
    ],
)
def test_diff_tokens(a: str, b: str, expected: list[Block]) -> None:
    assert diff_tokens(a.split(), b.split()) == expected


@pytest.mark.parametrize(("a", "b", "errors"), [("a b c", "a x c", 1), ("a b c d", "a z", 3), ("a", "a", 0)])
def test_token_errors(a: str, b: str, errors: int) -> None:
    assert token_errors(a.split(), b.split()) == errors


def test_boundary_map_skips_inside_unequal_blocks() -> None:
    mapping = boundary_map("he appears to be like him".split(), "he looks like him".split())
    assert mapping[1] == 1 and mapping[4] == 2 and 2 not in mapping and 3 not in mapping


def test_similarity() -> None:
    assert similarity(["a", "b"], ["a", "c"]) == pytest.approx(0.5)


def test_dropped_sentence_is_skipped() -> None:
    a = "One two three four five. Alpha beta gamma delta epsilon. Six seven eight nine ten."
    b = "One two three four five. Six seven eight nine ten."
    pairs = align_sentences(a, b)
    assert [(p.a.text, p.b.text) for p in pairs] == [
        ("One two three four five.", "One two three four five."),
        ("Six seven eight nine ten.", "Six seven eight nine ten."),
    ]
    for pair in pairs:
        assert a[pair.a.start : pair.a.end] == pair.a.text and b[pair.b.start : pair.b.end] == pair.b.text


def test_merged_sentences_pair_two_to_one() -> None:
    a = "The war began in spring. It ended in the autumn of that year."
    b = "The war began in spring and it ended in the autumn of that year."
    (pair,) = align_sentences(a, b)
    assert pair.a.text == a and pair.b.text == b


def test_unrelated_sentences_do_not_align() -> None:
    assert align_sentences("Cats sleep all day long.", "Markets fell sharply on Monday.") == []
