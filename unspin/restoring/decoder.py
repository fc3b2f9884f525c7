"""Stage 4: noisy-channel decoding of the lattice into edits.

For each unit the decoder picks readings O of the slots that maximise
``log P_LM(O in context) + log P(spun | O)``. Slots closer than a few words interact
("Prolonged Vary Assault Munition"), so they form one segment decoded jointly with a beam.
The channel depends on the rate at which the document's spinner applies each lexicon
(``rates``: a heavy content-farm spinner applies its learned mapping to almost every word
it knows; a thesaurus proposes far more than any spinner uses). The rates are estimated
from the document itself by expectation-maximisation over the scored hypotheses: the
language-model scores do not depend on them, so re-estimating costs no model calls.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from unspin.restoring.edits import Alternative, Edit
from unspin.restoring.lattice import Slot
from unspin.restoring.scoring.protocol import Scorer

_WORD = re.compile(r"\w+")
RHO_START = 0.3  # rate used while the beam prunes, before the rates are estimated (lenient)
# Beta prior pseudo-counts (spun, kept) of a lexicon's spin rate, until the document says more:
# a spinner's learned mapping (count weights) is applied to ~20% of the words it could touch;
# a thesaurus (probability weights) proposes far more than any spinner uses: 5%.
RHO_PRIOR = {"count": (2.0, 8.0), "probability": (1.0, 19.0)}
RHO_BOUNDS = (0.002, 0.9)


@dataclass
class Segment:
    """Neighbouring slots decoded together, with the surviving hypotheses and their LM scores."""

    slots: list[Slot]
    hypotheses: list[tuple[int, ...]]
    lm_scores: list[float]

    def totals(self, rates: dict[str, float]) -> list[float]:
        return [lm + sum(slot.channel(c, rates) for slot, c in zip(self.slots, h))
                for h, lm in zip(self.hypotheses, self.lm_scores)]

    def posteriors(self, rates: dict[str, float]) -> list[float]:
        totals = self.totals(rates)
        top = max(totals)
        weights = [math.exp(t - top) for t in totals]
        norm = sum(weights)
        return [w / norm for w in weights]

    def expected_replacements(self, rates: dict[str, float]) -> dict[str, float]:
        """Expected number of units replaced from each lexicon."""
        expected: dict[str, float] = defaultdict(float)
        for p, h in zip(self.posteriors(rates), self.hypotheses):
            for slot, c in zip(self.slots, h):
                if slot.options[c].replaced:
                    expected[slot.options[c].lexicon] += p * slot.options[c].replaced
        return expected


def unit_pieces(text: str, start: int, end: int, slots: Sequence[Slot], context: Sequence[int] | None = None
                ) -> tuple[list[str], list[str]]:
    """Cut ``text[start:end]`` into ``[gap, slot, gap, ..., gap]`` pieces.

    Each slot piece takes the white space before it; returns the pieces and, per slot,
    that leading white space (prepended to every reading of the slot). ``context`` gives
    the reading each slot shows as context to the others (default: the text as it is).
    """
    pieces, leads, position = [], [], start
    for index, slot in enumerate(slots):
        cut = slot.start
        while cut > position and text[cut - 1] in " \t\u00a0":
            cut -= 1
        pieces.append(text[position:cut])
        leads.append(text[cut : slot.start])
        pieces.append(leads[-1] + slot.options[context[index] if context else 0].text)
        position = slot.end
    pieces.append(text[position:end])
    return pieces, leads


MAX_SEGMENT_SLOTS = 4  # longer chains are cut; the second pass still shows each piece the others


def segment_slots(pieces: Sequence[str], slot_count: int, link_words: int) -> list[tuple[int, int]]:
    """Group slots whose gap holds fewer than ``link_words`` words; returns (first, last) pairs."""
    groups: list[tuple[int, int]] = []
    for index in range(slot_count):
        gap = pieces[2 * index]
        if (groups and index > 0 and len(_WORD.findall(gap)) < link_words
                and index - groups[-1][0] < MAX_SEGMENT_SLOTS):
            groups[-1] = (groups[-1][0], index)
        else:
            groups.append((index, index))
    return groups


@dataclass
class UnitJob:
    """One unit to decode: ``text[start:end]`` with its slots; on a second pass, ``context``
    (a reading per slot, e.g. the first pass's best) and the first pass's ``previous`` segments."""

    text: str
    start: int
    end: int
    slots: Sequence[Slot]
    context: Sequence[int] | None = None
    previous: Sequence[Segment] | None = None


def decode_units(scorer: Scorer, jobs: Sequence[UnitJob], beam: int, link_words: int) -> list[list[Segment]]:
    """Score the hypotheses of every segment of every unit with the language model.

    All units advance together, so that the model sees few, large batches: the units are
    prepared in one go, then depth by depth the expansions of every segment of every unit
    are scored together. With a ``context``, each segment is scored with the other
    segments shown in those readings: a spun neighbourhood misleads a language model ("its
    fourth yr" reads fine after "the warfare"; not after "the war"). Segments with no
    changed reading within RESCORE_WORDS words before them are taken from ``previous`` as they are.
    """
    results: list[list[Segment]] = [[] for _ in jobs]
    work = []  # (job number, pieces, leads, segment groups, groups still to score)
    for number, job in enumerate(jobs):
        if not job.slots:
            continue
        pieces, leads = unit_pieces(job.text, job.start, job.end, job.slots, job.context)
        groups = segment_slots(pieces, len(job.slots), link_words)
        changed_nearby = [_changed_nearby(job, first) for first, _ in groups]
        if job.previous is not None and not any(changed_nearby):
            results[number] = list(job.previous)
            continue
        todo = [g for g in range(len(groups)) if job.previous is None or changed_nearby[g]]
        work.append((number, pieces, leads, groups, todo))
    if not work:
        return results
    # Only the slots of the segments to score need the normaliser ahead (a second pass rescores few).
    scored = [[slot for g in todo for slot in range(groups[g][0], groups[g][1] + 1)] for *_, groups, todo in work]
    states = _prepare_many(scorer, [pieces for _, pieces, _, _, _ in work], scored)
    beams = [{g: ([()], [0.0]) for g in todo} for *_, todo in work]
    depths = max((groups[g][1] - groups[g][0] + 1 for *_, groups, todo in work for g in todo), default=0)
    for depth in range(depths):
        items = []  # (work index, group, expansions, request)
        for index, (number, _, leads, groups, todo) in enumerate(work):
            slots, context = jobs[number].slots, jobs[number].context
            active = [g for g in todo if groups[g][0] + depth <= groups[g][1]]
            expansions = {g: [h + (c,) for h in beams[index][g][0]
                              for c in range(len(slots[groups[g][0] + depth].options))] for g in active}
            requests = [(groups[g][0], groups[g][0] + depth,
                         [[leads[groups[g][0] + k] + slots[groups[g][0] + k].options[c].text
                           for k, c in enumerate(h)] for h in expansions[g]]) for g in active]
            if hasattr(scorer, "first_difference") and requests:
                requests = _prune(scorer, states[index], requests, active, expansions, slots, groups, context)
            items += [(index, g, expansions[g], request) for g, request in zip(active, requests)]
        scores = _score_many(scorer, [(states[index], request) for index, _, _, request in items])
        for (index, g, expanded, _), lm in zip(items, scores):
            slots = jobs[work[index][0]].slots
            first, last = work[index][3][g]
            ranked = sorted(range(len(expanded)), key=lambda i: -(lm[i] + sum(
                slots[first + k].options[c].channel(RHO_START) for k, c in enumerate(expanded[i]))))
            kept = ranked[:beam] if first + depth < last else ranked
            beams[index][g] = ([expanded[i] for i in kept], [lm[i] for i in kept])
    for index, (number, _, _, groups, _) in enumerate(work):
        job = jobs[number]
        results[number] = [job.previous[g] if g not in beams[index] else
                           Segment(list(job.slots[first : last + 1]), *beams[index][g])
                           for g, (first, last) in enumerate(groups)]
    return results


# A changed reading further back than this sways the model little: on the seed, 20 gave the
# same edits as any distance (quality.py --limit 15: same figures, one error fewer on yelp); 8 lost 14 edits.
RESCORE_WORDS = 20


def _changed_nearby(job: UnitJob, first: int) -> bool:
    """Whether a slot before slot ``first`` shows a changed reading within RESCORE_WORDS words."""
    if not job.context:
        return True
    for index in range(first - 1, -1, -1):
        if len(_WORD.findall(job.text, job.slots[index].end, job.slots[first].start)) > RESCORE_WORDS:
            return False
        if job.context[index]:
            return True
    return False


def _prepare_many(scorer: Scorer, units: list[list[str]], scored: list[list[int]]) -> list:
    if hasattr(scorer, "prepare_many"):
        return scorer.prepare_many(units, scored=scored)
    return [scorer.prepare(pieces) for pieces in units]


def _score_many(scorer: Scorer, items: list) -> list[list[float]]:
    if hasattr(scorer, "score_many"):
        return scorer.score_many(items)
    return [scorer.score_batch(state, [request])[0] for state, request in items]


# A reading whose first differing word is this many nats less likely (channel included,
# at the lenient RHO_START) than the text as it stands is dropped before the model runs
# on it. On the seed, margins from 12 down to 4 gave the same edits; 2 lost three.
PRUNE_MARGIN = 5.0


def _prune(scorer: Scorer, state: object, requests: list, active: list[int], expansions: dict,
           slots: Sequence[Slot], groups: Sequence[tuple[int, int]], context: Sequence[int] | None) -> list:
    """Drop the expansions that the left context rules out (keeping the text is never dropped)."""
    previews = scorer.first_difference(state, requests)
    pruned = []
    for number, (first, last, readings), preview in zip(active, requests, previews):
        shown = [context[first + k] if context else 0 for k in range(last - first + 1)]
        baseline = sum(slots[first + k].options[c].channel(RHO_START) for k, c in enumerate(shown))
        kept = [index for index, hypothesis in enumerate(expansions[number])
                if not any(hypothesis) or preview[index] + sum(
                    slots[first + k].options[c].channel(RHO_START) for k, c in enumerate(hypothesis))
                - baseline >= -PRUNE_MARGIN]
        expansions[number] = [expansions[number][i] for i in kept]
        pruned.append((first, last, [readings[i] for i in kept]))
    return pruned


def estimate_rates(segments: Sequence[Segment], kinds: dict[str, str] | None = None,
                   iterations: int = 30) -> dict[str, float]:
    """Each lexicon's spin rate in this document: EM over the scored hypotheses, Beta prior.

    The rate of lexicon L is the expected number of units replaced from L over the number
    of spinnable words in slots where L proposes something; ``kinds`` maps each lexicon to
    its weight kind ("count" or "probability"), which picks its prior.
    """
    exposure: dict[str, float] = defaultdict(float)
    for segment in segments:
        for slot in segment.slots:
            for name in slot.lexicons:
                exposure[name] += max(slot.keep.kept, 1)
    rates = {name: RHO_START for name in exposure}
    priors = {name: RHO_PRIOR[(kinds or {}).get(name, "count")] for name in exposure}
    for _ in range(iterations):
        expected: dict[str, float] = defaultdict(float)
        for segment in segments:
            for name, value in segment.expected_replacements(rates).items():
                expected[name] += value
        updated = {name: min(max((expected[name] + priors[name][0]) / (exposure[name] + sum(priors[name])),
                                 RHO_BOUNDS[0]), RHO_BOUNDS[1]) for name in exposure}
        converged = all(abs(updated[name] - rates[name]) < 1e-5 for name in rates)
        rates = updated
        if converged:
            break
    return rates


def best_readings(segments: Sequence[Segment], rates: dict[str, float]) -> list[int]:
    """The most likely reading of every slot, segment by segment, in slot order."""
    readings: list[int] = []
    for segment in segments:
        totals = segment.totals(rates)
        readings += segment.hypotheses[max(range(len(totals)), key=totals.__getitem__)]
    return readings


def choose_edits(segments: Sequence[Segment], rates: dict[str, float], threshold: float) -> list[Edit]:
    """The best reading of each segment, kept as edits where their posterior reaches ``threshold``."""
    edits: list[Edit] = []
    for segment in segments:
        posteriors = segment.posteriors(rates)
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
