"""Stage 4: noisy-channel decoding of the lattice into edits.

For each unit the decoder picks readings O of the slots that maximise
``log P_LM(O in context) + log P(spun | O)``. Slots closer than a few words interact
("Prolonged Vary Assault Munition"), so they form one segment decoded jointly with a beam.
The channel depends on the document's spin rate ``rho``, which is estimated from the
document itself by expectation-maximisation over the scored hypotheses: the language-model
scores do not depend on ``rho``, so re-estimating it costs no model calls.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from unspin.edits import Alternative, Edit
from unspin.lattice import Slot
from unspin.scorer import Scorer

_WORD = re.compile(r"\w+")
RHO_START = 0.15
RHO_PRIOR = (1.0, 20.0)  # Beta prior pseudo-counts (spun, kept): a few percent until evidence says more
RHO_BOUNDS = (0.002, 0.5)


@dataclass
class Segment:
    """Neighbouring slots decoded together, with the surviving hypotheses and their LM scores."""

    slots: list[Slot]
    hypotheses: list[tuple[int, ...]]
    lm_scores: list[float]

    def totals(self, rho: float) -> list[float]:
        return [lm + sum(slot.options[c].channel(rho) for slot, c in zip(self.slots, h))
                for h, lm in zip(self.hypotheses, self.lm_scores)]

    def posteriors(self, rho: float) -> list[float]:
        totals = self.totals(rho)
        top = max(totals)
        weights = [math.exp(t - top) for t in totals]
        norm = sum(weights)
        return [w / norm for w in weights]

    def expected_replacements(self, rho: float) -> float:
        return sum(p * sum(slot.options[c].replaced for slot, c in zip(self.slots, h))
                   for p, h in zip(self.posteriors(rho), self.hypotheses))


def unit_pieces(text: str, start: int, end: int, slots: Sequence[Slot]) -> tuple[list[str], list[str]]:
    """Cut ``text[start:end]`` into ``[gap, slot, gap, ..., gap]`` pieces.

    Each slot piece takes the white space before it; returns the pieces and, per slot,
    that leading white space (prepended to every reading of the slot).
    """
    pieces, leads, position = [], [], start
    for slot in slots:
        cut = slot.start
        while cut > position and text[cut - 1] in " \t\u00a0":
            cut -= 1
        pieces.append(text[position:cut])
        leads.append(text[cut : slot.start])
        pieces.append(text[cut : slot.end])
        position = slot.end
    pieces.append(text[position:end])
    return pieces, leads


def segment_slots(pieces: Sequence[str], slot_count: int, link_words: int) -> list[tuple[int, int]]:
    """Group slots whose gap holds fewer than ``link_words`` words; returns (first, last) pairs."""
    groups: list[tuple[int, int]] = []
    for index in range(slot_count):
        gap = pieces[2 * index]
        if groups and index > 0 and len(_WORD.findall(gap)) < link_words:
            groups[-1] = (groups[-1][0], index)
        else:
            groups.append((index, index))
    return groups


def decode_unit(scorer: Scorer, text: str, start: int, end: int, slots: Sequence[Slot], beam: int,
                link_words: int) -> list[Segment]:
    """Score the hypotheses of every segment of one unit with the language model."""
    if not slots:
        return []
    pieces, leads = unit_pieces(text, start, end, slots)
    state = scorer.prepare(pieces)
    segments = []
    for first, last in segment_slots(pieces, len(slots), link_words):
        hypotheses: list[tuple[int, ...]] = [()]
        scores: list[float] = [0.0]
        for index in range(first, last + 1):
            slot = slots[index]
            expanded = [h + (c,) for h in hypotheses for c in range(len(slot.options))]
            readings = [[leads[first + k] + slots[first + k].options[c].text for k, c in enumerate(h)]
                        for h in expanded]
            lm = scorer.score(state, first, index, readings)
            ranked = sorted(range(len(expanded)), key=lambda i: -(lm[i] + sum(
                slots[first + k].options[c].channel(RHO_START) for k, c in enumerate(expanded[i]))))
            kept = ranked[:beam] if index < last else ranked
            hypotheses = [expanded[i] for i in kept]
            scores = [lm[i] for i in kept]
        segments.append(Segment(list(slots[first : last + 1]), hypotheses, scores))
    return segments


def estimate_rho(segments: Sequence[Segment], spinnable_words: int, iterations: int = 30) -> float:
    """The document's spin rate: EM over the scored hypotheses, with a Beta prior."""
    rho = RHO_START
    prior_spun, prior_kept = RHO_PRIOR
    for _ in range(iterations):
        expected = sum(segment.expected_replacements(rho) for segment in segments)
        updated = (expected + prior_spun) / (max(spinnable_words, 1) + prior_spun + prior_kept)
        updated = min(max(updated, RHO_BOUNDS[0]), RHO_BOUNDS[1])
        if abs(updated - rho) < 1e-5:
            return updated
        rho = updated
    return rho


def choose_edits(segments: Sequence[Segment], rho: float, threshold: float) -> list[Edit]:
    """The best reading of each segment, kept as edits where their posterior reaches ``threshold``."""
    edits: list[Edit] = []
    for segment in segments:
        posteriors = segment.posteriors(rho)
        best = max(range(len(posteriors)), key=posteriors.__getitem__)
        for position, slot in enumerate(segment.slots):
            marginals = [0.0] * len(slot.options)
            for probability, hypothesis in zip(posteriors, segment.hypotheses):
                marginals[hypothesis[position]] += probability
            choice = segment.hypotheses[best][position]
            if choice == 0 or marginals[choice] < threshold:
                continue
            alternatives = tuple(
                Alternative(slot.options[c].text, marginals[c])
                for c in sorted(range(len(marginals)), key=lambda c: -marginals[c])
                if c != choice and marginals[c] >= 0.01
            )
            edits.append(minimal_edit(slot, slot.options[choice].text, marginals[choice], alternatives,
                                      slot.options[choice].lexicon))
    return edits


def minimal_edit(slot: Slot, replacement: str, confidence: float, alternatives: tuple[Alternative, ...],
                 lexicon: str) -> Edit:
    """The edit reduced to the words that change ("White Home" -> "White House" edits "Home")."""
    source_words, target_words = slot.text.split(" "), replacement.split(" ")
    head = 0
    while head < min(len(source_words), len(target_words)) - 1 and source_words[head] == target_words[head]:
        head += 1
    tail = 0
    while (tail < min(len(source_words), len(target_words)) - head - 1
           and source_words[-1 - tail] == target_words[-1 - tail]):
        tail += 1
    prefix = sum(len(w) + 1 for w in source_words[:head])
    suffix = sum(len(w) + 1 for w in source_words[len(source_words) - tail :])
    original = slot.text[prefix : len(slot.text) - suffix]
    target = " ".join(target_words[head : len(target_words) - tail])
    start = slot.start + prefix
    return Edit(start, start + len(original), original, target, confidence, alternatives, lexicon)
