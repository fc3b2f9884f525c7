"""The model proposes (related words, kept by the model's preview) and the document agrees (mapping evidence)."""

import math

import pytest
from conftest import UnigramScorer

from unspin import Restorer
from unspin.lexicon.related import (
    CLOSE,
    LISTED,
    LOOSE,
    MOBY,
    SYNONYM,
    WORDNET_LOOSE,
    WORDNET_SYNONYM,
    RelatedWords,
    related_table,
    write_related,
)
from unspin.restoring.decoder import (
    PROPOSAL_COVERAGE,
    SPUN_PRIOR,
    Segment,
    choose_edits,
    estimate_block_rates,
    estimate_rates,
    spun_probability,
)
from unspin.restoring.lattice import (
    FUNCTION_PROPOSALS,
    LINK_WEIGHTS,
    MAX_OPTIONS,
    MODEL_PROPOSALS,
    Option,
    Slot,
    Vocabulary,
    build_lattice,
)
from unspin.text.tokens import tokenize

RELATED = RelatedWords({"metal": ("steel", "iron"), "rise": ("increase",), "nippon": ("japan",)})


def lattice(text, related=RELATED, lexicons=()):
    return build_lattice(text, tokenize(text), list(lexicons), Vocabulary.default(), None, related)


def test_related_words_become_model_options_with_case_and_inflection():
    slots = {slot.text: slot for slot in lattice("Shares of Nippon Metal rose sharply.")}
    metal = [o for o in slots["Metal"].options if o.replaced]
    assert {o.text for o in metal} == {"Steel", "Iron"} and {o.lexicon for o in metal} == {MODEL_PROPOSALS}
    assert "Nippon" not in slots  # a rare capitalised word is a name: no synonym stands for it
    assert "increased" in {o.text for o in slots["rose"].options}  # through the lemma, re-inflected


def test_no_table_no_proposals():
    assert lattice("Shares of Nippon Metal rose sharply.", related=None) == []


def test_related_table_keeps_common_originals_in_both_directions(tmp_path):
    table = related_table([("metal", "steel"), ("metal", "zyzzyva")])
    assert "steel" in table["metal"] and "metal" in table["steel"]
    assert "zyzzyva" not in table["metal"]  # originals are words a news text uses
    path = write_related(tmp_path / "related.txt.xz", table, {"name": "related"})
    loaded = RelatedWords.load(path)
    assert loaded.originals("metal") == tuple(table["metal"]) and loaded.header["sha256"]
    assert dict(loaded.links("metal")) == table["metal"]


def test_link_strength_ranks_close_synonyms_over_loose_links(tmp_path):
    links = [("said", "stated", WORDNET_SYNONYM), ("said", "stated", MOBY),  # a synonym Moby lists too
             ("firm", "company", WORDNET_SYNONYM),                          # WordNet alone
             ("quick", "fast", MOBY), ("fast", "quick", MOBY),              # Moby both ways
             ("house", "building", MOBY),                                   # Moby one way
             ("steel", "metal", WORDNET_LOOSE)]                             # a hypernym
    table = related_table(links)
    assert table["stated"]["said"] == CLOSE
    assert "said" not in table  # "stated" is far rarer: no spinner writes "said" for it
    assert table["firm"]["company"] == SYNONYM and table["quick"]["fast"] == SYNONYM
    assert table["building"]["house"] == table["house"]["building"] == LISTED
    assert table["metal"]["steel"] == LOOSE
    loaded = RelatedWords.load(write_related(tmp_path / "related.txt.xz", table, {"name": "related"}))
    assert dict(loaded.links("metal")) == {"steel": LOOSE}
    # The channel of a proposal follows its link: a close synonym is the likelier original.
    related = RelatedWords({"metal": {"steel": CLOSE, "iron": LOOSE}})
    options = {o.text: o for slot in lattice("The metal price fell.", related=related) for o in slot.options}
    assert options["steel"].lexical - options["iron"].lexical == pytest.approx(
        math.log(LINK_WEIGHTS[CLOSE] / LINK_WEIGHTS[LOOSE]))


def test_a_proposed_reading_is_only_as_sure_as_the_proposals_cover_originals():
    slot = _slot(0)
    segment = Segment([slot], [(0,), (1,)], [0.0, 20.0])  # the model is sure: "steel", not "metal"
    rates = {MODEL_PROPOSALS: 0.5}
    [edit] = choose_edits([segment], rates, 0.5)
    assert edit.confidence == pytest.approx(segment.marginals(rates)[0][1] * PROPOSAL_COVERAGE)
    assert choose_edits([segment], rates, 0.9) == []  # a proposal never reaches the coverage's ceiling


class PreviewScorer(UnigramScorer):
    """A unigram LM that also offers the causal scorer's free preview of each reading's first word."""

    def __init__(self, scores, default=-9.0):
        super().__init__(scores, default)
        self.scored: list[int] = []

    def _word(self, text):
        words = text.split()
        return self.scores.get(words[0].lower().strip(".,"), self.default) if words else 0.0

    def first_difference(self, state, requests):
        previews = []
        for first, _, readings in requests:
            current = self._word(state[2 * first + 1])
            previews.append([self._word(reading[0]) - current for reading in readings])
        return previews

    def score_batch(self, state, requests):
        self.scored += [len(readings) for _, _, readings in requests]
        return super().score_batch(state, requests)


@pytest.fixture
def related_table_of(monkeypatch):
    def install(table):
        monkeypatch.setattr("unspin.restoring.pipeline.shipped_related", lambda: RelatedWords(table))
    return install


def test_the_model_keeps_the_likeliest_related_word(related_table_of, tiny_lexicon):
    related_table_of({"metal": ("steel", "iron", "copper", "gold", "tin", "lead", "silver", "zinc")})
    scorer = PreviewScorer({"steel": -1.0, "iron": -7.0, "metal": -12.0, "the": -1.0, "price": -3.0})
    restorer = Restorer(scorer=scorer, lexicons=[tiny_lexicon], propose=True)
    result = restorer.restore("The metal price fell. The metal price rose. The metal price held.")
    assert result.text == "The steel price fell. The steel price rose. The steel price held."
    assert {e.lexicon for e in result.edits} == {MODEL_PROPOSALS}
    assert scorer.scored and max(scorer.scored) <= MAX_OPTIONS  # the preview cut 9 readings to 5


def test_unrelated_and_unlikely_words_are_left_alone(related_table_of, tiny_lexicon):
    related_table_of({"metal": ("steel",)})
    scorer = PreviewScorer({"steel": -9.0, "metal": -8.0, "paper": -1.0})
    restorer = Restorer(scorer=scorer, lexicons=[tiny_lexicon], propose=True)
    text = "The metal price fell while paper stayed cheap."
    assert restorer.restore(text).text == text


def _slot(start, lexical=math.log(0.1), text="metal", original="steel"):
    options = (Option(text, 0.0, 0, 1, ""), Option(original, lexical, 1, 0, MODEL_PROPOSALS))
    return Slot(start, start + len(text), text, options)


def _segment(start, lm_gain, text="metal", original="steel"):
    return Segment([_slot(start, text=text, original=original)], [(0,), (1,)], [0.0, lm_gain])


KINDS = {MODEL_PROPOSALS: "model"}


def test_a_mapping_confirmed_elsewhere_is_trusted_where_the_model_hesitates():
    clear = [_segment(10 * i, 8.0) for i in range(3)]
    unclear = _segment(100, 3.5)
    rates = estimate_rates([*clear, unclear], KINDS)
    assert [e.replacement for e in choose_edits([*clear, unclear], rates, 0.5)] == ["steel"] * 4


def test_a_one_off_choice_gets_no_support_from_other_mappings():
    clear = [_segment(10 * i, 8.0, text="copper", original="bronze") for i in range(3)]
    unclear = _segment(100, 3.5)
    rates = estimate_rates([*clear, unclear], KINDS)
    assert [e.replacement for e in choose_edits([*clear, unclear], rates, 0.5)] == ["bronze"] * 3


def test_documents_share_evidence_only_when_they_share_a_spinner():
    for pools, edited in (([0, 0], True), ([0, 1], False)):
        clear, unclear = [_segment(10 * i, 8.0) for i in range(3)], _segment(0, 3.5)
        rates = estimate_block_rates([clear, [unclear]], KINDS, pools=pools)
        assert (rates[1].mappings is rates[0].mappings) == edited
        assert bool(choose_edits([unclear], rates[1], 0.5)) == edited


def test_restorer_records_its_proposal_table_and_spinner_setting(related_table_of, tiny_lexicon):
    related_table_of({"metal": ("steel",)})
    restorer = Restorer(scorer=PreviewScorer({"steel": -1.0}), lexicons=[tiny_lexicon], propose=True,
                        same_spinner=True, assume_spun=True)
    settings = restorer.restore_many(["The metal price fell.", "Metal prices rose."])[0].settings
    assert settings["same_spinner"] is True and settings["assume_spun"] is True
    assert Restorer(scorer=PreviewScorer({}), lexicons=[tiny_lexicon]).settings.as_dict()["assume_spun"] is False


def test_proposals_default_to_scorers_that_preview(tiny_lexicon):
    assert Restorer(scorer=UnigramScorer({}), lexicons=[tiny_lexicon]).related is None
    assert Restorer(scorer=PreviewScorer({}), lexicons=[tiny_lexicon]).related is not None


def test_function_word_originals_have_their_own_channel():
    related = RelatedWords({"whereas": ("while", "although", "albeit"), "each": ("every",)})
    slots = {slot.text: slot for slot in lattice("Whereas each of them left.", related=related)}
    channels = {o.text: o.lexicon for o in slots["Whereas"].options if o.replaced}
    assert channels["While"] == FUNCTION_PROPOSALS and channels["Although"] == FUNCTION_PROPOSALS
    assert {o.text for o in slots["each"].options if o.replaced} == {"every"}


FUNCTION_KINDS = {FUNCTION_PROPOSALS: "function", MODEL_PROPOSALS: "model"}


def _function_segment(start, lm_gain):
    options = (Option("whereas", 0.0, 0, 1, ""), Option("while", math.log(0.1), 1, 0, FUNCTION_PROPOSALS))
    return Segment([Slot(start, start + 7, "whereas", options)], [(0,), (1,)], [0.0, lm_gain])


def test_a_function_word_is_restored_only_behind_the_documents_evidence():
    alone = _function_segment(0, 5.0)
    assert not choose_edits([alone], estimate_rates([alone], FUNCTION_KINDS), 0.5)
    repeated = [_function_segment(20 * i, gain) for i, gain in enumerate((9.0, 9.0, 9.0, 5.0))]
    rates = estimate_rates(repeated, FUNCTION_KINDS)
    assert [e.replacement for e in choose_edits(repeated, rates, 0.5)] == ["while"] * 4


GATE_KINDS = {"news": "count", MODEL_PROPOSALS: "model"}


def _news_segment(start, lm_gain):
    options = (Option("Home", 0.0, 0, 1, ""), Option("House", 0.0, 1, 0, "news"))
    return Segment([Slot(start, start + 4, "Home", options)], [(0,), (1,)], [0.0, lm_gain])


def test_the_open_channels_wait_for_a_known_spinner_in_the_text():
    # The same strong model preference, "metal" -> "steel", once in a text where the learned lexicon's
    # words were spun (the model restores them) and once where they were left as written.
    for news_gain, edited in ((6.0, True), (-6.0, False)):
        segments = [_news_segment(20 * i, news_gain) for i in range(8)] + [_segment(200, 8.0)]
        rates = estimate_rates(segments, GATE_KINDS)
        proposals = [e for e in choose_edits(segments, rates, 0.5) if e.lexicon == MODEL_PROPOSALS]
        assert bool(proposals) == edited


def test_spun_probability_follows_the_learned_lexicons_evidence():
    kinds = {"news": "count", MODEL_PROPOSALS: "model"}
    assert spun_probability({"news": 8.0}, {"news": 10.0}, kinds) > 0.99
    assert spun_probability({"news": 0.5}, {"news": 10.0}, kinds) < 0.001
    assert spun_probability({}, {}, kinds) == pytest.approx(SPUN_PRIOR)  # no word it knows: the prior
    assert spun_probability({}, {}, {MODEL_PROPOSALS: "model"}) == 1.0  # no learned lexicon loaded


def test_a_mapping_repeated_in_clean_prose_is_not_trusted():
    # "weighing" -> "considering" twice in clean news: each occurrence vouches for the other, but the
    # text shows no spinner (the learned lexicon's words were left as written), so neither is edited.
    for news_gain, edited in ((-6.0, False), (6.0, True)):
        segments = [_news_segment(20 * i, news_gain) for i in range(8)]
        segments += [_segment(300 + 20 * i, 9.0, text="weighing", original="considering") for i in range(2)]
        rates = estimate_rates(segments, GATE_KINDS)
        proposals = [e for e in choose_edits(segments, rates, 0.5) if e.lexicon == MODEL_PROPOSALS]
        assert bool(proposals) == edited


def test_texts_known_to_be_spun_need_no_learned_lexicon_to_open_the_channels():
    # learn --unpaired reads a folder of one unknown spinner: the learned lexicons say nothing there.
    segments = [_news_segment(20 * i, -6.0) for i in range(8)] + [_segment(200, 8.0)]
    for gated, edited in ((True, False), (False, True)):
        rates = estimate_block_rates([segments], GATE_KINDS, gated=gated)[0]
        assert any(e.lexicon == MODEL_PROPOSALS for e in choose_edits(segments, rates, 0.5)) == edited
