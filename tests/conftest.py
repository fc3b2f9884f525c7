"""Shared fixtures: a tiny lexicon, a unigram fake scorer, and tiny random causal and masked LMs.

Every model here is built from a config inside the tests (no downloads); the tokenizer
is a byte-level BPE trained in milliseconds on a few sentences.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

CORPUS = [
    "The White House official said Thursday that the war in Ukraine is nearing its fourth year.",
    "Trump told reporters that the Associated Press and Reuters confirmed the call.",
    "Montgomery said Ukraine could be better served with Extended Range Attack Munition missiles.",
    "We use artificial intelligence to study the data. The deep learning model was trained.",
]

TINY_LEXICON = """\
# name: tiny
# source: written by the tests
# licence: CC0-1.0
# version: 1
# weights: count
mentioned\tsaid\t4
warfare\twar\t3
yr\tyear\t2
home\thouse\t2
white home\twhite house\t1
inform\ttell\t2
related press\tassociated press\t1
counterfeit consciousness\tartificial intelligence\t1
prolonged\textended\t1
vary\trange\t1
assault\tattack\t1
"""


@pytest.fixture
def tiny_lexicon(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.tsv"
    path.write_text(TINY_LEXICON, encoding="utf-8")
    return path


class UnigramScorer:
    """A fake LM for decoder tests: the log-score of a reading is the sum of its words' scores."""

    name = "unigram-fake"

    def __init__(self, scores: dict[str, float], default: float = -8.0):
        self.scores = {k.lower(): v for k, v in scores.items()}
        self.default = default

    def prepare(self, pieces):
        return list(pieces)

    def score(self, state, first, last, readings):
        return [sum(self.scores.get(word.lower().strip(".,"), self.default)
                    for text in reading for word in text.split()) for reading in readings]

    def score_batch(self, state, requests):
        return [self.score(state, first, last, readings) for first, last, readings in requests]


@pytest.fixture
def unigram_scorer() -> UnigramScorer:
    original_words = {w.lower().strip(".,"): -2.0 for line in CORPUS for w in line.split()}
    return UnigramScorer(original_words, default=-9.0)


def _tokenizer(masked: bool):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "<bos>", "<eos>", "<unk>"] + (["<mask>", "<cls>", "<sep>"] if masked else [])
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(CORPUS * 3, trainer=trainer)
    extra = {"mask_token": "<mask>", "cls_token": "<cls>", "sep_token": "<sep>"} if masked else {}
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="<pad>", bos_token="<bos>",
                                   eos_token="<eos>", unk_token="<unk>", **extra)


@pytest.fixture(scope="session")
def tiny_causal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved 2-layer Gemma-3 architecture LM with random weights (the default model's kind)."""
    import torch
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    torch.manual_seed(0)
    tokenizer = _tokenizer(masked=False)
    config = Gemma3TextConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                              num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1, head_dim=16,
                              max_position_embeddings=512, sliding_window=64,
                              layer_types=["sliding_attention", "full_attention"],
                              bos_token_id=tokenizer.bos_token_id, pad_token_id=tokenizer.pad_token_id,
                              eos_token_id=tokenizer.eos_token_id)
    return _saved(Gemma3ForCausalLM(config), tokenizer, tmp_path_factory.mktemp("tiny-causal"))


@pytest.fixture(scope="session")
def tiny_masked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved 2-layer BERT masked LM with random weights."""
    import torch
    from transformers import BertConfig, BertForMaskedLM

    torch.manual_seed(0)
    tokenizer = _tokenizer(masked=True)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                        num_attention_heads=2, max_position_embeddings=128,
                        pad_token_id=tokenizer.pad_token_id)
    return _saved(BertForMaskedLM(config), tokenizer, tmp_path_factory.mktemp("tiny-masked"))


def _saved(model, tokenizer, directory: Path) -> Path:
    """A model directory that ``from_pretrained`` (and so ``--model``) loads, as a user's would be."""
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def log_softmax_gather(logits, targets) -> list[float]:
    values = logits.float().log_softmax(-1)
    return [float(values[i, t]) for i, t in enumerate(targets)]


def is_finite(value: float) -> bool:
    return not (math.isnan(value) or math.isinf(value))
