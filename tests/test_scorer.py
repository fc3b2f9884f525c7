"""The scorers against plain forward passes of tiny random models."""

import pytest
import torch
from conftest import is_finite, log_softmax_gather

from unspin.restoring.scoring.causal import CausalLMScorer
from unspin.restoring.scoring.loading import load_scorer
from unspin.restoring.scoring.masked import MaskedLMScorer

PIECES = ["The", " White Home", " official", " mentioned", " Thursday that the war ended."]


def test_load_scorer_follows_the_config(tiny_causal, tiny_masked):
    assert isinstance(load_scorer(str(tiny_causal), dtype="float32"), CausalLMScorer)
    assert isinstance(load_scorer(str(tiny_masked), dtype="float32"), MaskedLMScorer)


def test_causal_score_equals_a_plain_forward_pass(tiny_causal):
    scorer = load_scorer(str(tiny_causal), dtype="float32")
    state = scorer.prepare(PIECES)
    readings = [[" White House", " official", " said"], [" White Home", " official", " mentioned"]]
    # Slots are pieces 1 and 3; score slots 0..1 with the gap piece between them.
    got = scorer.score(state, 0, 1, [[r[0], r[2]] for r in readings])
    for reading, value in zip(readings, got):
        prefix = [scorer.bos] + list(scorer.encode(PIECES[0]))
        scored = [t for text in reading for t in scorer.encode(text)]
        window = list(scorer.encode(PIECES[4]))[: scorer.window]
        ids = prefix + scored + window
        with torch.inference_mode():
            logits = scorer.model(input_ids=torch.tensor([ids])).logits[0]
        positions = range(len(prefix) - 1, len(ids) - 1)
        expected = sum(log_softmax_gather(logits[list(positions)], ids[len(prefix):]))
        assert value == pytest.approx(expected, abs=1e-3)


def test_causal_batches_agree_with_single_readings(tiny_causal):
    scorer = load_scorer(str(tiny_causal), dtype="float32")
    state = scorer.prepare(PIECES)
    readings = [[" White House"], [" White Home"], [" Ashen Residence Building"]]
    together = scorer.score(state, 0, 0, readings)
    alone = [scorer.score(state, 0, 0, [r])[0] for r in readings]
    assert together == pytest.approx(alone, abs=1e-4)


def test_masked_score_is_pseudo_log_likelihood(tiny_masked):
    scorer = load_scorer(str(tiny_masked), dtype="float32")
    state = scorer.prepare(PIECES)
    value = scorer.score(state, 1, 1, [[" said"]])[0]
    tokenizer = scorer.tokenizer
    pieces = [list(scorer.encode(p)) for p in PIECES]
    pieces[3] = list(scorer.encode(" said"))
    start = sum(len(p) for p in pieces[:3])
    ids = [tokenizer.cls_token_id] + [t for p in pieces for t in p] + [tokenizer.sep_token_id]
    masked = list(ids)
    for k in range(len(pieces[3])):
        masked[1 + start + k] = tokenizer.mask_token_id
    with torch.inference_mode():
        logits = scorer.model(input_ids=torch.tensor([masked])).logits[0]
    positions = [1 + start + k for k in range(len(pieces[3]))]
    assert value == pytest.approx(sum(log_softmax_gather(logits[positions], pieces[3])), abs=1e-3)
    assert is_finite(value)


def test_rows_with_different_prefixes_share_a_batch(tiny_causal):
    scorer = load_scorer(str(tiny_causal), dtype="float32")
    state = scorer.prepare(PIECES)
    requests = [(0, 0, [[" White House"], [" White Home"]]), (1, 1, [[" said"], [" mentioned"]]),
                (0, 1, [[" White House", " said"]])]
    together = scorer.score_batch(state, requests)
    alone = [[scorer.score(state, first, last, [r])[0] for r in readings] for first, last, readings in requests]
    for got, expected in zip(together, alone):
        assert got == pytest.approx(expected, abs=1e-4)


def test_readings_that_share_their_first_tokens_run_them_once_and_score_as_alone(tiny_causal):
    scorer = load_scorer(str(tiny_causal), dtype="float32")
    state = scorer.prepare(PIECES)
    # A beam's expansions: every reading of slot 1 after the same readings of slot 0.
    readings = [[first, second] for first in (" White House", " Ashen Residence") for second in (" said", " told")]
    queries = []
    base = scorer.base

    def counting(*args, **kwargs):
        queries.append(kwargs["input_ids"].shape[1])
        return base(*args, **kwargs)

    scorer.base = counting
    together = scorer.score(state, 0, 1, readings)
    scorer.base = base
    rows, _ = scorer._rows([(state, (0, 1, readings))])
    assert sum(queries) < sum(len(row.tokens) - 1 for row in rows)
    alone = [scorer.score(state, 0, 1, [r])[0] for r in readings]
    assert together == pytest.approx(alone, abs=1e-4)


def test_first_difference_is_the_log_probability_gap_at_the_first_differing_token(tiny_causal):
    scorer = load_scorer(str(tiny_causal), dtype="float32")
    state = scorer.prepare(PIECES)
    as_prepared, changed = scorer.first_difference(state, [(0, 0, [[" White Home"], [" White House"]])])[0]
    assert as_prepared == 0.0
    prefix = [scorer.bos] + list(scorer.encode(PIECES[0]))
    spun, restored = list(scorer.encode(" White Home")), list(scorer.encode(" White House"))
    shared = next(k for k, (a, b) in enumerate(zip(spun, restored)) if a != b)
    with torch.inference_mode():
        logits = scorer.model(input_ids=torch.tensor([prefix + spun[:shared]])).logits[0, -1]
    log_probs = logits.float().log_softmax(-1)
    assert changed == pytest.approx(float(log_probs[restored[shared]] - log_probs[spun[shared]]), abs=1e-3)


def test_the_reading_as_prepared_runs_no_model_call(tiny_causal, monkeypatch):
    scorer = load_scorer(str(tiny_causal), dtype="float32")
    state = scorer.prepare(PIECES)
    expected = scorer.score(state, 1, 1, [[" mentioned"], [" said"]])

    def no_call(*_):
        raise AssertionError("the prepared reading went through the model")

    monkeypatch.setattr(scorer, "_continuations", no_call)
    assert scorer.score(state, 1, 1, [[" mentioned"]]) == pytest.approx(expected[:1], abs=1e-6)


def test_units_prepared_and_scored_together_agree_with_one_at_a_time(tiny_causal):
    scorer = load_scorer(str(tiny_causal), dtype="float32")
    other = ["Trump", " informed", " reporters that the", " Related Press", " and Reuters confirmed the call."]
    together = scorer.prepare_many([PIECES, other])
    items = [(together[0], (0, 0, [[" White House"], [" White Home"]])),
             (together[1], (1, 1, [[" Associated Press"], [" Related Press"]])),
             (together[1], (0, 1, [[" told", " Associated Press"]]))]
    alone = {0: scorer.prepare(PIECES), 1: scorer.prepare(other)}
    expected = [scorer.score(alone[0], 0, 0, items[0][1][2]), scorer.score(alone[1], 1, 1, items[1][1][2]),
                scorer.score(alone[1], 0, 1, items[2][1][2])]
    for got, want in zip(scorer.score_many(items), expected):
        assert got == pytest.approx(want, abs=1e-4)


def test_unit_by_unit_attention_equals_one_masked_attention_over_all_units(tiny_causal):
    scorer = load_scorer(str(tiny_causal), dtype="float32")
    assert scorer.blocked
    other = ["Trump", " informed", " reporters that the", " Related Press", " and Reuters confirmed the call."]
    states = scorer.prepare_many([PIECES, other])
    items = [(states[0], (0, 1, [[" White House", " said"], [" Ashen Residence", " told"]])),
             (states[1], (0, 1, [[" told", " Associated Press"], [" informed", " Associated Press"]]))]
    blocked = scorer.score_many(items)
    scorer.blocked = False
    assert blocked == [pytest.approx(masked, abs=1e-4) for masked in scorer.score_many(items)]


def test_a_unit_prepared_for_some_slots_scores_them_as_one_prepared_for_all(tiny_causal):
    import math

    scorer = load_scorer(str(tiny_causal), dtype="float32")
    partial = scorer.prepare_many([PIECES], scored=[[1]])[0]
    first_slot = partial.starts[1]
    assert math.isnan(partial.log_norm[first_slot - 1])  # slot 0's normaliser was not computed ahead
    readings = [[" said"], [" mentioned"], [" told"]]
    assert scorer.score(partial, 1, 1, readings) == pytest.approx(
        scorer.score(scorer.prepare(PIECES), 1, 1, readings), abs=1e-5)
    assert scorer.score(partial, 0, 0, [[" White House"]]) == pytest.approx(
        scorer.score(scorer.prepare(PIECES), 0, 0, [[" White House"]]), abs=1e-5)


def test_an_eager_attention_model_scores_as_the_sdpa_one(tiny_causal):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(str(tiny_causal), attn_implementation="eager", dtype=torch.float32)
    eager = CausalLMScorer(model, AutoTokenizer.from_pretrained(str(tiny_causal)))
    assert not eager.blocked  # the packed rows go through the additive mask instead
    sdpa = load_scorer(str(tiny_causal), dtype="float32")
    readings = [[" White House", " said"], [" Ashen Residence", " told"], [" White Home", " said"]]
    assert eager.score(eager.prepare(PIECES), 0, 1, readings) == pytest.approx(
        sdpa.score(sdpa.prepare(PIECES), 0, 1, readings), abs=1e-4)


def test_units_longer_than_the_sliding_window_score_as_a_plain_forward_pass(tiny_causal):
    scorer = load_scorer(str(tiny_causal), dtype="float32")
    window = scorer.model.config.sliding_window
    lead = " ".join(["The officials met again on Thursday and the talks went on."] * 12)
    pieces = [lead, " White Home", " said the war", " mentioned", " ended."]
    state = scorer.prepare(pieces)
    assert state.length > 2 * window
    got = scorer.score(state, 0, 1, [[" White House", " said"], [" White Home", " mentioned"]])
    for reading, value in zip([[" White House", " said"], [" White Home", " mentioned"]], got):
        prefix = [scorer.bos] + list(scorer.encode(lead))
        scored = list(scorer.encode(reading[0])) + list(scorer.encode(pieces[2])) + list(scorer.encode(reading[1]))
        ids = prefix + scored + list(scorer.encode(pieces[4]))[: scorer.window]
        with torch.inference_mode():
            logits = scorer.model(input_ids=torch.tensor([ids])).logits[0]
        expected = sum(log_softmax_gather(logits[len(prefix) - 1 : len(ids) - 1], ids[len(prefix):]))
        assert value == pytest.approx(expected, abs=1e-3)


def test_log_normaliser_is_exact_for_ordinary_and_huge_logits(tiny_causal):
    scorer = load_scorer(str(tiny_causal), dtype="float32")
    torch.manual_seed(1)
    hidden = torch.randn(6, scorer.model.config.hidden_size)
    hidden[3:] *= 1e4  # logits far beyond exp's range: the unshifted sum overflows
    expected = (hidden @ scorer.head.embeddings.weight.T).logsumexp(-1)
    got = scorer.head.log_norms(hidden, block=64)
    assert torch.isfinite(got).all()
    assert got.tolist() == pytest.approx(expected.tolist(), rel=1e-5)


def test_bfloat16_runs_the_tanh_gelu_as_the_erf_gelu_and_scores_as_the_model_as_loaded(tiny_causal):
    from transformers import AutoModelForCausalLM

    exact = load_scorer(str(tiny_causal), dtype="float32")
    assert all(type(layer.mlp.act_fn).__name__ == "GELUTanh" for layer in exact.base.layers)  # left as it is
    plain = AutoModelForCausalLM.from_pretrained(str(tiny_causal), dtype=torch.bfloat16)
    scorer = load_scorer(str(tiny_causal), dtype="bfloat16")
    mlps = [layer.mlp for layer in scorer.base.layers]
    assert all(isinstance(m.act_fn, torch.nn.GELU) and m.act_fn.approximate == "none" for m in mlps)
    readings = [[" White House", " said"], [" Ashen Residence", " told"], [" White Home", " mentioned"]]
    fast = scorer.score(scorer.prepare(PIECES), 0, 1, readings)
    with scorer.model_as_loaded() as model:
        assert all(type(m.act_fn).__name__ == "GELUTanh" for m in mlps)
        state = scorer.prepare(PIECES)
        loaded = scorer.score(state, 0, 1, readings)
        ids = torch.tensor([state.ids])
        with torch.inference_mode():
            assert torch.equal(model(input_ids=ids).logits, plain(input_ids=ids).logits)
    assert all(isinstance(m.act_fn, torch.nn.GELU) for m in mlps)
    assert fast == pytest.approx(loaded, abs=0.05)


def test_a_gemma_tokenizer_encodes_the_same_once_its_python_vocabulary_copies_are_released():
    from transformers import GemmaTokenizer

    from unspin.restoring.scoring.loading import _release_vocabulary_copies

    letters = ["▁", "t", "h", "e", "w", "a", "r", "s", "i", "d"]
    vocab = {"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3, "<mask>": 4}
    vocab.update({piece: len(vocab) + i for i, piece in enumerate(letters)})
    merges = [("t", "h"), ("th", "e"), ("▁", "the"), ("w", "a"), ("wa", "r"), ("▁", "war"), ("s", "a")]
    vocab.update({a + b: len(vocab) + i for i, (a, b) in enumerate(merges)})
    tokenizer = GemmaTokenizer(vocab=vocab, merges=merges)
    texts = [" the war", "the wars said", " said the", ""]
    before = [tokenizer(text, add_special_tokens=False)["input_ids"] for text in texts]
    assert tokenizer._vocab and tokenizer._merges  # what transformers keeps, and the release drops

    _release_vocabulary_copies(tokenizer)

    assert tokenizer._vocab is None and tokenizer._merges is None
    assert [tokenizer(text, add_special_tokens=False)["input_ids"] for text in texts] == before
    assert before[0] == [vocab["▁the"], vocab["▁war"]]
    assert tokenizer.bos_token_id == 2 and tokenizer.eos_token_id == 1
