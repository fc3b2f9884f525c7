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
from unspin.restoring.lattice import MAX_OPTIONS, Option, Slot
from unspin.restoring.scoring.protocol import Scorer

_WORD = re.compile(r"\w+")
RHO_START = 0.3  # rate used while the beam prunes, before the rates are estimated (lenient)
# Beta prior pseudo-counts (spun, kept) of a lexicon's spin rate, until the document says more:
# a spinner's learned mapping (count weights) is applied to ~20% of the words it could touch;
# a thesaurus (probability weights) proposes far more than any spinner uses: 5%; a fingerprint (a
# tortured phrase: nobody writes "counterfeit consciousness" but a spinner) is restored unless the context
# rules it out: 30% (benchmarks/tortured.py: 57/60 phrases at 5%, 60 at 30%; 50% also 60, one more exact
# sentence, but "business knowledge" -> "business intelligence" in plain prose).
RHO_PRIOR = {"count": (2.0, 8.0), "probability": (1.0, 19.0), "model": (1.0, 19.0), "fingerprint": (3.0, 7.0)}
RHO_BOUNDS = (0.002, 0.9)
# A spinner maps an original the same way each time, so a mapping's rate in the document (or run)
# is estimated from its other occurrences, shrunk towards its lexicon's rate by this many
# pseudo-occurrences: one clear occurrence lifts the others a little, several lift them a lot,
# and an occurrence alone gets its lexicon's rate (its own evidence is left out).
MAPPING_CONCENTRATION = 2.0


def mapping_key(slot: Slot, option: Option) -> tuple[str, str]:
    """What a reading says the spinner did: this spun text for that original (case aside)."""
    return slot.text.lower(), option.text.lower()


class Rates(dict):
    """The spin rates of one block: lexicon name -> rate (a plain dict), and ``mappings``:
    mapping key -> [expected replacements, occurrences], shared by every block of a run."""

    def __init__(self, lexicon_rates: dict[str, float], mappings: dict[tuple[str, str], list[float]] | None = None):
        super().__init__(lexicon_rates)
        self.mappings = mappings if mappings is not None else {}

    def option_rate(self, slot: Slot, option: Option, own: float) -> float:
        """The rate of ``option``'s mapping at this occurrence, from the mapping's other occurrences."""
        base = self[option.lexicon]
        found = self.mappings.get(mapping_key(slot, option))
        if not found or found[1] <= 1:
            return base
        expected, occurrences = found
        rate = (expected - own + MAPPING_CONCENTRATION * base) / (occurrences - 1 + MAPPING_CONCENTRATION)
        return min(max(rate, RHO_BOUNDS[0]), RHO_BOUNDS[1])


def slot_channels(slot: Slot, rates: dict[str, float], own: Sequence[float] | None = None) -> list[float]:
    """Channel log-probability of every reading of ``slot``.

    A reading that replaces the text costs its mapping's rate (see :class:`Rates`) times its
    lexicon's P(spun | original); keeping the text costs the chance that no mapping proposed here
    applied: one minus the highest rate among them.
    """
    lexicon_keep = max(rates[name] for name in slot.lexicons)
    option_rates = [0.0] * len(slot.options)
    for index, option in enumerate(slot.options):
        if option.replaced:
            option_rates[index] = (rates.option_rate(slot, option, own[index] if own else 0.0)
                                   if isinstance(rates, Rates) else rates[option.lexicon])
    keep_rho = max([lexicon_keep, *option_rates])
    return [option.channel(option_rates[index] if option.replaced else keep_rho, keep_rho)
            for index, option in enumerate(slot.options)]


@dataclass
class Segment:
    """Neighbouring slots decoded together, with the surviving hypotheses and their LM scores.

    ``own`` holds, per slot and reading, the reading's posterior at the last estimate of the
    rates (what this occurrence itself adds to its mapping's evidence, left out of its own rate).
    """

    slots: list[Slot]
    hypotheses: list[tuple[int, ...]]
    lm_scores: list[float]
    own: list[list[float]] | None = None

    def totals(self, rates: dict[str, float]) -> list[float]:
        channels = [slot_channels(slot, rates, self.own[index] if self.own else None)
                    for index, slot in enumerate(self.slots)]
        return [lm + sum(channels[index][c] for index, c in enumerate(h))
                for h, lm in zip(self.hypotheses, self.lm_scores)]

    def posteriors(self, rates: dict[str, float]) -> list[float]:
        totals = self.totals(rates)
        top = max(totals)
        weights = [math.exp(t - top) for t in totals]
        norm = sum(weights)
        return [w / norm for w in weights]

    def marginals(self, rates: dict[str, float]) -> list[list[float]]:
        """Per slot, the posterior probability of each of its readings."""
        found = [[0.0] * len(slot.options) for slot in self.slots]
        for probability, hypothesis in zip(self.posteriors(rates), self.hypotheses):
            for index, choice in enumerate(hypothesis):
                found[index][choice] += probability
        return found


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
    # With a free preview every reading of a slot is looked at and the likeliest kept (the model's
    # own proposals among them); without one, only the lexicons' few best.
    previews = hasattr(scorer, "first_difference")
    widest = 1 << 30 if previews else MAX_OPTIONS
    for depth in range(depths):
        items = []  # (work index, group, expansions, request)
        for index, (number, _, leads, groups, todo) in enumerate(work):
            slots, context = jobs[number].slots, jobs[number].context
            active = [g for g in todo if groups[g][0] + depth <= groups[g][1]]
            expansions = {g: [h + (c,) for h in beams[index][g][0]
                              for c in range(min(len(slots[groups[g][0] + depth].options), widest))] for g in active}
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
        margins = [preview[index] - baseline
                   + sum(slots[first + k].options[c].channel(RHO_START) for k, c in enumerate(hypothesis))
                   for index, hypothesis in enumerate(expansions[number])]
        # A hypothesis with a fingerprint's reading is always scored: its first word alone says little
        # ("education manner" -> "training process" is judged on "training", "education system" on " system"),
        # and the preview of a later slot's expansion still looks at an earlier slot's first differing word.
        fingerprints = [any(slots[first + k].options[c].fingerprint for k, c in enumerate(h))
                        for h in expansions[number]]
        kept = [index for index, hypothesis in enumerate(expansions[number])
                if not any(hypothesis) or fingerprints[index] or margins[index] >= -PRUNE_MARGIN]
        # At most MAX_OPTIONS readings per hypothesis carried over (the likeliest by the preview).
        room = MAX_OPTIONS * len({hypothesis[:-1] for hypothesis in expansions[number]})
        if len(kept) > room:
            kept = sorted(sorted(kept, key=lambda index: (not any(expansions[number][index][-1:]),
                                                          fingerprints[index], margins[index]), reverse=True)[:room])
        expansions[number] = [expansions[number][i] for i in kept]
        pruned.append((first, last, [readings[i] for i in kept]))
    return pruned


def estimate_rates(segments: Sequence[Segment], kinds: dict[str, str] | None = None,
                   iterations: int = 30) -> Rates:
    """The spin rates of one document's segments (see :func:`estimate_block_rates`)."""
    return estimate_block_rates([segments], kinds, iterations)[0]


def estimate_block_rates(blocks: Sequence[Sequence[Segment]], kinds: dict[str, str] | None = None,
                         iterations: int = 30, pools: Sequence[int] | None = None) -> list[Rates]:
    """Each block's lexicon spin rates, and the run's mapping rates: EM over the scored hypotheses.

    The rate of lexicon L in a block is the expected number of units replaced from L over the
    number of spinnable words in slots where L proposes something, with a Beta prior by L's weight
    kind (``kinds``: "count", "probability" or "model"). A mapping's evidence (expected
    replacements over occurrences) is pooled over the blocks of one pool (``pools``, a pool
    number per block; default: all blocks in one): one spinner wrote them all.
    """
    exposure: list[dict[str, float]] = [defaultdict(float) for _ in blocks]
    pools = list(pools) if pools is not None else [0] * len(blocks)
    tables: dict[int, dict[tuple[str, str], list[float]]] = {pool: {} for pool in pools}
    for number, segments in enumerate(blocks):
        mappings = tables[pools[number]]
        for segment in segments:
            segment.own = [[RHO_START if option.replaced else 0.0 for option in slot.options] for slot in segment.slots]
            for slot in segment.slots:
                for name in slot.lexicons:
                    exposure[number][name] += max(slot.keep.kept, 1)
                for option in slot.options[1:]:
                    mappings.setdefault(mapping_key(slot, option), [0.0, 0.0])[1] += 1
    for counts in (counts for mappings in tables.values() for counts in mappings.values()):
        counts[0] = RHO_START * counts[1]
    priors = {name: RHO_PRIOR[(kinds or {}).get(name, "count")] for block in exposure for name in block}
    rates = [Rates({name: RHO_START for name in block}, tables[pool]) for block, pool in zip(exposure, pools)]
    for _ in range(iterations):
        expected: list[dict[str, float]] = [defaultdict(float) for _ in blocks]
        mapped: dict[int, dict[tuple[str, str], float]] = {pool: defaultdict(float) for pool in tables}
        owns = []
        for number, segments in enumerate(blocks):
            for segment in segments:
                marginals = segment.marginals(rates[number])
                for slot, slot_marginals in zip(segment.slots, marginals):
                    for option, probability in zip(slot.options[1:], slot_marginals[1:]):
                        expected[number][option.lexicon] += probability * option.replaced
                        mapped[pools[number]][mapping_key(slot, option)] += probability
                owns.append((segment, marginals))
        updated = [{name: min(max((expected[number][name] + priors[name][0]) / (block[name] + sum(priors[name])),
                                  RHO_BOUNDS[0]), RHO_BOUNDS[1]) for name in block}
                   for number, block in enumerate(exposure)]
        converged = all(abs(new[name] - old[name]) < 1e-5 for new, old in zip(updated, rates) for name in new) and all(
            abs(mapped[pool][key] - counts[0]) < 1e-4 for pool, mappings in tables.items()
            for key, counts in mappings.items())
        for pool, mappings in tables.items():
            for key, counts in mappings.items():
                counts[0] = mapped[pool][key]
        for segment, marginals in owns:
            segment.own = marginals
        rates = [Rates(new, tables[pool]) for new, pool in zip(updated, pools)]
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
        slot_marginals = segment.marginals(rates)
        for position, slot in enumerate(segment.slots):
            marginals = slot_marginals[position]
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
