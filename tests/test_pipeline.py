"""The restorer end to end with a fake unigram LM (decoder logic) and tiny random LMs (plumbing)."""

import pytest

from unspin import Restorer
from unspin.restoring.edits import apply_edits

SPUN = "The White Home official mentioned Thursday that the warfare in Ukraine is nearing its fourth yr."
ORIGINAL = "The White House official said Thursday that the war in Ukraine is nearing its fourth year."


@pytest.fixture
def restorer(tiny_lexicon, unigram_scorer):
    return Restorer(lexicons=[str(tiny_lexicon)], scorer=unigram_scorer, threshold=0.5)


def test_spun_sentence_comes_back(restorer):
    result = restorer.restore(SPUN)
    assert result.text == ORIGINAL
    assert [(e.original, e.replacement) for e in result.edits] == [
        ("Home", "House"), ("mentioned", "said"), ("warfare", "war"), ("yr", "year")]


def test_edits_reapply_to_the_exact_output(restorer):
    text = "“Trump informed them,” the Related Press mentioned.\r\n\tIts warfare\u00a0— 🙂 yr.\n\n"
    result = restorer.restore(text)
    assert apply_edits(text, result.edits) == result.text
    for edit in result.edits:
        assert text[edit.start : edit.end] == edit.original
    assert result.text == "“Trump told them,” the Associated Press said.\r\n\tIts war\u00a0— 🙂 year.\n\n"


def test_unspun_text_stays_unspun(restorer):
    clean = "Putin has made clear that providing Ukraine with Tomahawks would cross a red line."
    assert restorer.restore(clean).text == clean


def test_confidence_and_alternatives(tiny_lexicon, unigram_scorer):
    unigram_scorer.scores["mentioned"] = -5.0  # a close call: "mentioned" stays a live alternative
    restorer = Restorer(lexicons=[str(tiny_lexicon)], scorer=unigram_scorer, threshold=0.5)
    edit = restorer.restore(SPUN).edits[1]
    assert 0.5 <= edit.confidence <= 1.0
    assert edit.alternatives[0].text == "mentioned"
    assert edit.confidence + sum(a.confidence for a in edit.alternatives) == pytest.approx(1.0, abs=0.02)


def test_threshold_trades_recall_for_precision(tiny_lexicon, unigram_scorer):
    strict = Restorer(lexicons=[str(tiny_lexicon)], scorer=unigram_scorer, threshold=0.999999)
    assert len(strict.restore(SPUN).edits) < 4


def test_phrase_decoded_jointly(tiny_lexicon, unigram_scorer):
    restorer = Restorer(lexicons=[str(tiny_lexicon)], scorer=unigram_scorer)
    text = "better served with Prolonged Vary Assault Munition missiles."
    assert restorer.restore(text).text == "better served with Extended Range Attack Munition missiles."


def test_blank_input_is_returned_as_is(restorer):
    for text in ["", "   \n\t\n"]:
        result = restorer.restore(text)
        assert result.text == text and result.edits == []


def test_streamed_restoration_matches(restorer):
    text = (SPUN + "\n") * 3
    blocks = list(restorer.restore_lines(text.splitlines(keepends=True)))
    assert "".join(b.text for b in blocks) == restorer.restore(text).text


def test_settings_are_recorded(restorer, tiny_lexicon):
    data = restorer.restore(SPUN).to_dict()
    assert data["model"] == "unigram-fake"
    assert data["lexicons"] == ["tiny"]
    assert len(data["lexicon_sha256"][0]) == 64


@pytest.mark.parametrize("model_fixture", ["tiny_causal", "tiny_masked"])
def test_real_scorers_keep_offsets_exact(request, model_fixture, tiny_lexicon):
    model = request.getfixturevalue(model_fixture)
    restorer = Restorer(model=str(model), lexicons=[str(tiny_lexicon)], threshold=0.0)
    text = "Trump informed reporters.\r\nThe White Home official mentioned the warfare this yr. 🙂\n"
    result = restorer.restore(text)
    assert apply_edits(text, result.edits) == result.text
    assert result.text.count("\r\n") == 1 and result.text.endswith("🙂\n")


def test_readings_ruled_out_by_left_context_never_reach_the_model(tiny_lexicon, unigram_scorer):
    class PreviewingScorer(type(unigram_scorer)):
        """Says "Range" is hopeless from the left context; records what it is asked to score."""

        scored: list[str] = []

        def first_difference(self, state, requests):
            return [[-50.0 if "Range" in " ".join(r) else 0.0 for r in readings] for _, _, readings in requests]

        def score(self, state, first, last, readings):
            self.scored += [" ".join(r) for r in readings]
            return super().score(state, first, last, readings)

    scorer = PreviewingScorer(unigram_scorer.scores, unigram_scorer.default)
    restorer = Restorer(lexicons=[str(tiny_lexicon)], scorer=scorer, propose=False)
    result = restorer.restore("better served with Prolonged Vary Assault Munition missiles.")
    assert not any("Range" in reading for reading in scorer.scored)
    assert any(reading.strip() == "Prolonged" for reading in scorer.scored)  # keeping is always scored
    assert "Range" not in result.text


def test_second_pass_rescores_only_segments_near_a_change(tiny_lexicon, unigram_scorer):
    from unspin.lexicon.format import Lexicon
    from unspin.restoring.decoder import RESCORE_WORDS, UnitJob, decode_units
    from unspin.restoring.lattice import Vocabulary, build_lattice
    from unspin.text.tokens import tokenize

    text = ("The White Home official mentioned it." + " Then" * (RESCORE_WORDS + 5)
            + " the warfare ended.")
    slots = build_lattice(text, tokenize(text, 0), [Lexicon.load(tiny_lexicon)], Vocabulary.default())
    assert [slot.text for slot in slots] == ["White Home", "mentioned", "warfare"]
    first = decode_units(unigram_scorer, [UnitJob(text, 0, len(text), slots)], beam=3, link_words=1)[0]
    changed = [1, 0, 0]  # "Home" restored in the first pass
    second = decode_units(unigram_scorer, [UnitJob(text, 0, len(text), slots, changed, first)], beam=3,
                          link_words=1)[0]
    assert second[0] is first[0]  # nothing changed before it
    assert second[1] is not first[1]  # "mentioned" follows the change closely: rescored
    assert second[2] is first[2]  # "warfare" is too far from it to be swayed


def test_a_reused_restorer_gives_what_a_fresh_one_gives(tiny_lexicon, unigram_scorer):
    reused = Restorer(lexicons=[str(tiny_lexicon)], scorer=unigram_scorer)
    reused.restore("THE WHITE HOME mentioned nothing. The warfare went on.")
    second = "The White Home official mentioned that the warfare is nearing its fourth yr."
    fresh = Restorer(lexicons=[str(tiny_lexicon)], scorer=unigram_scorer)
    assert reused.restore(second).edits == fresh.restore(second).edits


MANY = [SPUN, "", "Putin has made clear that Tomahawks would cross a red line.\n",
        "“Trump informed them,” the Related Press mentioned.\r\n\r\nThe warfare went on this yr.\n",
        SPUN + "\n\n" + SPUN.replace("Thursday", "Friday")]


@pytest.mark.parametrize("block_characters", [20_000, 60])  # one shared group, or many small ones
def test_restore_many_gives_each_text_what_restoring_it_alone_gives(restorer, monkeypatch, block_characters):
    import unspin.restoring.pipeline

    monkeypatch.setattr(unspin.restoring.pipeline, "BLOCK_CHARACTERS", block_characters)
    together = restorer.restore_many(MANY)
    alone = [restorer.restore(text) for text in MANY]
    assert [r.text for r in together] == [r.text for r in alone]
    assert [r.edits for r in together] == [r.edits for r in alone]
    assert together[0].text == ORIGINAL and together[1].text == "" and together[2].text == MANY[2]


def test_restore_many_batches_texts_for_a_real_model_and_scores_them_as_alone(tiny_causal, tiny_lexicon):
    from unspin.restoring.scoring.loading import load_scorer

    restorer = Restorer(lexicons=[str(tiny_lexicon)], scorer=load_scorer(str(tiny_causal), dtype="float32"),
                        threshold=0.0)
    calls = []
    prepare_many = restorer.scorer.prepare_many
    restorer.scorer.prepare_many = lambda units, *args, **kwargs: calls.append(len(units)) or prepare_many(
        units, *args, **kwargs)
    together = restorer.restore_many(MANY)
    assert max(calls) >= 5  # the five spun paragraphs of four texts share a model call
    alone = [restorer.restore(text) for text in MANY]
    for many, one in zip(together, alone):
        assert many.text == one.text
        assert [(e.start, e.end, e.replacement) for e in many.edits] == [(e.start, e.end, e.replacement)
                                                                         for e in one.edits]
        assert [e.confidence for e in many.edits] == pytest.approx([e.confidence for e in one.edits], abs=1e-4)


def test_each_text_carries_its_own_spin_rates(restorer, monkeypatch):
    import unspin.restoring.pipeline

    heavily, clean = SPUN, "Putin has made clear that providing Ukraine with Tomahawks would cross a red line."
    together = restorer.restore_many([heavily, clean, ""])
    assert set(together[0].spin_rates) == {"tiny"} and 0.0 < together[0].spin_rates["tiny"] <= 1.0
    assert together[1].spin_rates == {} and together[2].spin_rates == {}  # nothing spinnable: no estimate
    assert together[0].spin_rates == restorer.restore(heavily).spin_rates
    # A text of several blocks: its rate is the blocks' estimates weighted by their lengths.
    monkeypatch.setattr(unspin.restoring.pipeline, "BLOCK_CHARACTERS", 60)
    long_text = SPUN + "\n\n" + SPUN.replace("mentioned", "said") + "\n"
    blocks = list(restorer._blocks(long_text))
    assert len(blocks) == 2
    rates = [restorer.restore(long_text[b.start : b.end]).spin_rates["tiny"] for b in blocks]
    lengths = [b.end - b.start for b in blocks]
    expected = sum(r * n for r, n in zip(rates, lengths)) / sum(lengths)
    assert restorer.restore(long_text).spin_rates["tiny"] == pytest.approx(expected)
