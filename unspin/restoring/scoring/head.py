"""The vocabulary head of a causal LM: one token's logit, and the softmax normaliser, cheaply.

On CPU the head is the costliest part of scoring (Gemma's 262k x 640 weights outweigh its
layers): a score needs the logit of one token and the log-normaliser over the whole vocabulary,
so the head never makes a [positions x vocabulary] tensor.
"""

from __future__ import annotations

from typing import Any


class VocabularyHead:
    """A model's output embeddings (and final logit soft-capping, where the config has it)."""

    def __init__(self, model: Any):
        import torch

        self.torch = torch
        self.embeddings = model.get_output_embeddings()
        self.softcap = getattr(model.config, "final_logit_softcapping", None)

    def logits(self, hidden: Any) -> Any:
        logits = self.embeddings(hidden).float()
        if self.softcap:
            logits = self.torch.tanh(logits / self.softcap) * self.softcap
        return logits

    def token_logits(self, hidden: Any, tokens: Any) -> Any:
        """The logit of one given token per hidden state, without the rest of the vocabulary."""
        logits = (hidden.float() * self.embeddings.weight[tokens].float()).sum(-1)
        if getattr(self.embeddings, "bias", None) is not None:
            logits = logits + self.embeddings.bias[tokens].float()
        if self.softcap:
            logits = self.torch.tanh(logits / self.softcap) * self.softcap
        return logits

    def log_norms(self, hidden: Any, block: int = 8192) -> Any:
        """log sum exp of the logits of each hidden state, a block of the vocabulary at a time.

        The head is the costliest part of scoring on CPU (Gemma's 262k x 640 weights outweigh its
        layers), so every position goes through each block of the head together, while the block
        and its logits still sit in cache, and no [positions x vocabulary] tensor is ever made.
        exp needs no shift while logits stay below ~88 (float32/bfloat16 range); rows where it
        overflows or underflows are redone with the shift.
        """
        torch = self.torch
        weight, bias = self.embeddings.weight, getattr(self.embeddings, "bias", None)
        hidden = hidden.to(weight.dtype)
        totals = torch.zeros(hidden.shape[0], dtype=torch.float32)
        buffer = torch.empty((hidden.shape[0], min(block, weight.shape[0])), dtype=weight.dtype)
        with torch.no_grad():
            for begin in range(0, weight.shape[0], block):
                part = weight[begin : begin + block]
                logits = buffer[:, : part.shape[0]]
                torch.mm(hidden, part.T, out=logits)
                if bias is not None:
                    logits += bias[begin : begin + block]
                if self.softcap:
                    logits.div_(self.softcap).tanh_().mul_(self.softcap)
                # A block's sum rounded to bfloat16 errs by < 0.4%; the blocks' errors average out.
                totals += logits.exp_().sum(-1).float()
        norms = totals.log_()
        unsafe = ~torch.isfinite(norms)
        if bool(unsafe.any()):
            norms[unsafe] = self.shifted_log_norms(hidden[unsafe])
        return norms

    def shifted_log_norms(self, hidden: Any, chunk: int = 64) -> Any:
        """log sum exp by max + exp + sum, a few positions at a time (safe for any logits)."""
        pieces = []
        with self.torch.no_grad():
            for begin in range(0, hidden.shape[0], chunk):
                logits = self.logits(hidden[begin : begin + chunk])
                top = logits.amax(-1, keepdim=True)
                pieces.append(logits.sub_(top).exp_().sum(-1).log_() + top[:, 0])
        return self.torch.cat(pieces) if pieces else self.torch.zeros(0)
