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
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cached_property

from unspin.restoring.edits import Alternative, Edit
from unspin.restoring.lattice import FUNCTION_PROPOSALS, MAX_OPTIONS, MODEL_PROPOSALS, Option, Slot
from unspin.restoring.scoring.protocol import Scorer

PROPOSAL_CHANNELS = (MODEL_PROPOSALS, FUNCTION_PROPOSALS)
_WORD = re.compile(r"\w+")
RHO_START = 0.3  # rate used while the beam prunes, before the rates are estimated (lenient)
# Beta prior pseudo-counts (spun, kept) of a lexicon's spin rate, until the document says more:
# a spinner's learned mapping (count weights) is applied to ~20% of the words it could touch;
# a thesaurus (probability weights) proposes far more than any spinner uses: 5%; a fingerprint (a
# tortured phrase: nobody writes "counterfeit consciousness" but a spinner) is restored unless the context
# rules it out: 30% (benchmarks/tortured.py: 57/60 phrases at 5%, 60 at 30%; 50% also 60, one more exact
# sentence, but "business knowledge" -> "business intelligence" in plain prose). The model's proposals
# relate nearly every word to many: 1% until the text says more, so that a short text (one review,
# little evidence) keeps its rare words (TextFooler's 85 clean reviews: 37 edits at 5%, 23 at 1%;
# the development pairs lost one right edit).
RHO_PRIOR = {"count": (2.0, 8.0), "probability": (1.0, 19.0), "model": (1.0, 99.0), "fingerprint": (3.0, 7.0),
             "function": (0.5, 99.5)}
RHO_BOUNDS = (0.002, 0.9)
# A spinner maps an original the same way each time: a mapping (this spun text for that original)
# is either in its dictionary, and then applied to most occurrences (ACTIVE_RATE), or not at all.
# Whether it is comes from the evidence of the mapping's *other* occurrences (in the text, or in
# all texts of one spinner): each weighs in by its likelihood ratio, P(its words | the mapping is
# active) / P(its words | it is not) = ACTIVE_RATE * P_LM(original) / P_LM(spun) + 1 - ACTIVE_RATE.
# So a mapping the model confirms in clear places is trusted where the model hesitates, a one-off
# odd choice is judged on its own, and an occurrence where the model rejects the mapping counts
# against it.
ACTIVE_RATE = 0.8


def mapping_key(slot: Slot, option: Option) -> tuple[str, str]:
    """What a reading says the spinner did: this spun text for that original (case aside)."""
    return slot.text.lower(), option.text.lower()


class Rates(dict):
    """The spin rates of one block: lexicon name -> rate (a plain dict), and ``mappings``:
    mapping key -> the summed log likelihood ratio of its occurrences, shared by a run's blocks."""

    def __init__(self, lexicon_rates: dict[str, float], mappings: dict[tuple[str, str], float] | None = None,
                 gates: dict[str, float] | None = None):
        super().__init__(lexicon_rates)
        self.mappings = mappings if mappings is not None else {}
        self.gates = gates if gates is not None else {}  # open channel -> P(the text is spun), see GATED_KINDS

    def option_prior(self, slot: Slot, option: Option, own: float) -> tuple[float, float]:
        """P(this occurrence is ``option``'s original spun into the text), and the chance that the
        word was spun at all, given the lexicon's rate and the mapping's other occurrences
        (``own``: this occurrence's log likelihood ratio, left out)."""
        base, channel = self[option.lexicon], math.exp(option.lexical)
        total = self.mappings.get(mapping_key(slot, option))
        if total is None:
            return base * channel, base
        prior = min(0.5, base * channel / ACTIVE_RATE)  # P(a proposed mapping is in the dictionary)
        log_odds = math.log(prior / (1.0 - prior)) + total - own
        active = 1.0 / (1.0 + math.exp(-log_odds)) if log_odds > -700 else 0.0
        # With no evidence either way ``active * ACTIVE_RATE`` equals the lexicon's own prior. An open
        # channel's mapping is trusted only as far as the text is spun at all: Gemma prefers "considering"
        # to "weighing" in each of a clean text's occurrences alike.
        applied = active * ACTIVE_RATE * self.gates.get(option.lexicon, 1.0)
        return max(base * channel, applied), max(base, applied)


def slot_channels(slot: Slot, rates: dict[str, float], own: Sequence[float] | None = None,
                  scored: Sequence[int] | None = None) -> list[float]:
    """Channel log-probability of every reading of ``slot`` (of the readings ``scored``, if given:
    the others get 0.0, since a slot holds up to hundreds of proposals that the model never scored).

    A reading that replaces the text costs the prior of its mapping here (see
    :meth:`Rates.option_prior`); keeping the text costs the chance that none of the mappings
    of the readings here applied: one minus the highest spin probability among them.
    """
    keep_rho = max(rates[name] for name in slot.lexicons)
    indices = range(len(slot.options)) if scored is None else scored
    priors = [0.0] * len(slot.options)
    for index in indices:
        option = slot.options[index]
        if not option.replaced:
            continue
        if isinstance(rates, Rates):
            priors[index], spun = rates.option_prior(slot, option, own[index] if own else 0.0)
            keep_rho = max(keep_rho, spun)
        else:
            priors[index] = rates[option.lexicon] * math.exp(option.lexical)
    keep = math.log1p(-min(keep_rho, RHO_BOUNDS[1]))
    channels = [0.0] * len(slot.options)
    for index in indices:
        option = slot.options[index]
        channels[index] = option.kept * keep + (math.log(priors[index]) + (option.replaced - 1)
                                                * math.log(rates[option.lexicon]) if option.replaced else 0.0)
    return channels


@dataclass
class Segment:
    """Neighbouring slots decoded together, with the surviving hypotheses and their LM scores.

    ``own`` holds, per slot and reading, this occurrence's log likelihood ratio for the reading's
    mapping (its own evidence, left out when its prior is drawn from the mapping's evidence).
    """

    slots: list[Slot]
    hypotheses: list[tuple[int, ...]]
    lm_scores: list[float]
    own: list[list[float]] | None = None

    @cached_property
    def scored(self) -> list[list[int]]:
        """Per slot, the readings that some hypothesis holds (the keep reading always among them)."""
        return [sorted({0, *(h[index] for h in self.hypotheses)}) for index in range(len(self.slots))]

    def totals(self, rates: dict[str, float]) -> list[float]:
        channels = [slot_channels(slot, rates, self.own[index] if self.own else None, self.scored[index])
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


def suspect(slot: Slot, spinners: Collection[str] | None = None) -> bool:
    """Whether the text here may well be spun: a learned spinner's lexicon (``spinners``; default:
    any lexicon, not only the model's related words) proposes an original."""
    if spinners is None:
        return any(option.lexicon not in PROPOSAL_CHANNELS for option in slot.options[1:])
    return any(option.lexicon in spinners for option in slot.options[1:])


def segment_slots(pieces: Sequence[str], slot_count: int, link_words: int,
                  suspects: Sequence[bool] | None = None) -> list[tuple[int, int]]:
    """Group slots whose gap holds fewer than ``link_words`` words (and, given ``suspects``, that
    are both suspect); returns (first, last) pairs."""
    groups: list[tuple[int, int]] = []
    for index in range(slot_count):
        gap = pieces[2 * index]
        if (groups and index > 0 and len(_WORD.findall(gap)) < link_words
                and (suspects is None or (suspects[index] and suspects[index - 1]))
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


def decode_units(scorer: Scorer, jobs: Sequence[UnitJob], beam: int, link_words: int,
                 spinners: Collection[str] | None = None) -> list[list[Segment]]:
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
    stops: list[list[int]] = []  # per work item, the slots where readings' windows end
    for number, job in enumerate(jobs):
        if not job.slots:
            continue
        pieces, leads = unit_pieces(job.text, job.start, job.end, job.slots, job.context)
        suspects = [suspect(slot, spinners) for slot in job.slots]
        groups = segment_slots(pieces, len(job.slots), link_words, suspects)
        changed_nearby = [_changed_nearby(job, first) for first, _ in groups]
        if job.previous is not None and not any(changed_nearby):
            results[number] = list(job.previous)
            continue
        todo = [g for g in range(len(groups)) if job.previous is None or changed_nearby[g]]
        work.append((number, pieces, leads, groups, todo))
        # A suspect slot's text misleads the windows of the readings before it, unless a first pass
        # has shown a restored reading there.
        stops.append([i for i, flag in enumerate(suspects) if flag and not (job.context and job.context[i])])
    if not work:
        return results
    # Only the slots of the segments to score need the normaliser ahead (a second pass rescores few).
    scored = [[slot for g in todo for slot in range(groups[g][0], groups[g][1] + 1)] for *_, groups, todo in work]
    states = _prepare_many(scorer, [pieces for _, pieces, _, _, _ in work], scored, stops)
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


def _prepare_many(scorer: Scorer, units: list[list[str]], scored: list[list[int]], stops: list[list[int]]) -> list:
    if hasattr(scorer, "prepare_many"):
        return scorer.prepare_many(units, scored=scored, stops=stops)
    return [scorer.prepare(pieces) for pieces in units]


def _score_many(scorer: Scorer, items: list) -> list[list[float]]:
    if hasattr(scorer, "score_many"):
        return scorer.score_many(items)
    return [scorer.score_batch(state, [request])[0] for state, request in items]


# A reading whose first differing word is this many nats less likely (channel included,
# at the lenient RHO_START) than the text as it stands is dropped before the model runs
# on it. On the seed, margins from 12 down to 4 gave the same edits; 2 lost three.
PRUNE_MARGIN = 5.0
# The model's proposals per slot that reach the full scoring (see below): the preview sees only the
# left context ("Trump's report" before "Trump's post"), so the window decides between two. With the
# open channels gated (GATED_KINDS), 2 against 1 on the development pairs: P 0.854 -> 0.876,
# R 0.594 -> 0.604, clean seed 000 no edit either way.
MAX_PROPOSED = 2


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
        # At most MAX_PROPOSED of the model's proposals per hypothesis carried over, and MAX_OPTIONS
        # readings in all (the likeliest by the preview).
        proposed = [index for index in kept if not fingerprints[index] and expansions[number][index][-1]
                    and slots[last].options[expansions[number][index][-1]].lexicon in PROPOSAL_CHANNELS]
        prefixes = len({hypothesis[:-1] for hypothesis in expansions[number]})
        if len(proposed) > MAX_PROPOSED * prefixes:
            ranked = sorted(proposed, key=lambda index: margins[index], reverse=True)
            dropped = set(ranked[MAX_PROPOSED * prefixes:])
            kept = [index for index in kept if index not in dropped]
        room = MAX_OPTIONS * prefixes
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
                         iterations: int = 30, pools: Sequence[int] | None = None, gated: bool = True
                         ) -> list[Rates]:
    """Each block's lexicon spin rates (EM over the scored hypotheses) and its pool's mapping evidence.

    The rate of lexicon L in a block is the expected number of units replaced from L over the
    number of spinnable words in slots where L proposes something, with a Beta prior by L's weight
    kind (``kinds``: "count", "probability", "model" or "function"). A mapping's evidence (see
    :data:`ACTIVE_RATE`) is pooled over the blocks of one pool (``pools``, a pool number per block;
    default: all blocks in one): one spinner wrote them all. ``gated``: the open channels wait for
    a known spinner (see :data:`GATED_KINDS`); off where the texts are known to be spun.
    """
    exposure: list[dict[str, float]] = [defaultdict(float) for _ in blocks]
    pools = list(pools) if pools is not None else [0] * len(blocks)
    tables: dict[int, dict[tuple[str, str], float]] = {pool: defaultdict(float) for pool in pools}
    for number, segments in enumerate(blocks):
        for segment in segments:
            segment.own = _log_likelihood_ratios(segment)
            for slot, ratios in zip(segment.slots, segment.own):
                for name in slot.lexicons:
                    exposure[number][name] += max(slot.keep.kept, 1)
                for option, ratio in zip(slot.options[1:], ratios[1:]):
                    tables[pools[number]][mapping_key(slot, option)] += ratio
    # The mapping evidence is fixed by the scores, so each block's rates converge on their own.
    return [_block_rates(segments, block, tables[pool], kinds, iterations, gated)
            for segments, block, pool in zip(blocks, exposure, pools)]


def _block_rates(segments: Sequence[Segment], exposure: dict[str, float], mappings: dict[tuple[str, str], float],
                 kinds: dict[str, str] | None, iterations: int, gated: bool = True) -> Rates:
    priors = {name: RHO_PRIOR[(kinds or {}).get(name, "count")] for name in exposure}
    gated_names = [name for name in exposure if (kinds or {}).get(name, "count") in GATED_KINDS]
    rates = Rates({name: RHO_START for name in exposure}, mappings)
    for _ in range(iterations):
        expected: dict[str, float] = defaultdict(float)
        for segment in segments:
            for slot, marginals, scored in zip(segment.slots, segment.marginals(rates), segment.scored):
                for index in scored[1:]:
                    expected[slot.options[index].lexicon] += marginals[index] * slot.options[index].replaced
        updated = {name: min(max((expected[name] + priors[name][0]) / (exposure[name] + sum(priors[name])),
                                 RHO_BOUNDS[0]), RHO_BOUNDS[1]) for name in exposure}
        gate = spun_probability(expected, exposure, kinds) if gated else 1.0
        gates = dict.fromkeys(gated_names, gate)
        for name in gates:
            updated[name] = max(updated[name] * gate, GATED_FLOOR)
        converged = all(abs(updated[name] - rates[name]) < 1e-5 for name in updated)
        rates = Rates(updated, mappings, gates)
        if converged:
            break
    return rates


# The open channels (the thesaurus, the model's proposals, function words) relate nearly every word
# to some other, and the language model prefers common words even in clean prose. So they are trusted
# as far as the text shows a known spinner at work: the learned lexicons (a spinner's dictionary,
# tortured phrases) apply at SPUN_RATE of the words they know in a spun text and at CLEAN_RATE in
# clean prose, where their originals also occur (seed, mined and development pairs: 0.35-0.68
# spun, 0.06-0.18 clean). A text that gives no evidence either way (no word a learned lexicon knows)
# keeps the prior SPUN_PRIOR.
GATED_KINDS = ("probability", "model", "function")
LEARNED_KINDS = ("count", "fingerprint")  # a spinner's own dictionary; its words are the evidence
SPUN_RATE, CLEAN_RATE, SPUN_PRIOR = 0.45, 0.1, 0.005
GATED_FLOOR = 0.0001


def spun_probability(expected: dict[str, float], exposure: dict[str, float], kinds: dict[str, str] | None) -> float:
    """P(the text was spun by a spinner the learned lexicons know), from their expected replacements."""
    if kinds is not None and not any(kind in LEARNED_KINDS for kind in kinds.values()):
        return 1.0  # no learned lexicon loaded: the user chose the open channels alone
    learned = [name for name in exposure if (kinds or {}).get(name, "count") in LEARNED_KINDS]
    replaced = sum(expected.get(name, 0.0) for name in learned)
    kept = max(sum(exposure[name] for name in learned) - replaced, 0.0)
    log_odds = (math.log(SPUN_PRIOR / (1 - SPUN_PRIOR)) + replaced * math.log(SPUN_RATE / CLEAN_RATE)
                + kept * math.log((1 - SPUN_RATE) / (1 - CLEAN_RATE)))
    return 1.0 / (1.0 + math.exp(-min(max(log_odds, -700.0), 700.0)))


def _log_likelihood_ratios(segment: Segment) -> list[list[float]]:
    """Per slot and reading, log P(scores | the reading's mapping is active) / P(scores | it is not):
    the language model's preference for the reading over keeping the text, at ACTIVE_RATE."""
    ratios = []
    for index, slot in enumerate(segment.slots):
        best = [-math.inf] * len(slot.options)
        for hypothesis, lm in zip(segment.hypotheses, segment.lm_scores):
            best[hypothesis[index]] = _log_add(best[hypothesis[index]], lm)
        ratios.append([0.0] + [math.log(ACTIVE_RATE * math.exp(min(value - best[0], 50.0)) + 1.0 - ACTIVE_RATE)
                               if value > -math.inf else math.log(1.0 - ACTIVE_RATE) for value in best[1:]])
    return ratios


def _log_add(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    top = max(a, b)
    return top + math.log(math.exp(a - top) + math.exp(b - top))


def best_readings(segments: Sequence[Segment], rates: dict[str, float]) -> list[int]:
    """The most likely reading of every slot, segment by segment, in slot order."""
    readings: list[int] = []
    for segment in segments:
        totals = segment.totals(rates)
        readings += segment.hypotheses[max(range(len(totals)), key=totals.__getitem__)]
    return readings


# The model's proposals hold the true original for only part of the spun words: on the training
# pairs (seed and mined, restored without the news lexicon mined from them) the gold original was
# among the readings scored at 104 of 137 spun words that reached the decoder. The posterior of
# a proposed reading is over the readings scored, so it is scaled by that coverage: an edit's
# confidence is the chance that its word is *the* original, not just likelier than the others.
# (With the 60-pair `news` beside them the proposals are left the hardest words: on 18 mined pairs
# held out from a `news` learned from the other 42, their edits were right 40 of 75 times at a mean
# confidence of 0.68, which asks for 0.59 here; learn --unpaired's bars are set on this scale.)
PROPOSAL_COVERAGE = 0.76


def reading_confidence(option: Option, marginal: float) -> float:
    """The chance that ``option`` is the original, from its posterior among the slot's readings."""
    return marginal * PROPOSAL_COVERAGE if option.lexicon in PROPOSAL_CHANNELS else marginal


def choose_edits(segments: Sequence[Segment], rates: dict[str, float], threshold: float) -> list[Edit]:
    """The best reading of each segment, kept as edits where their confidence reaches ``threshold``."""
    edits: list[Edit] = []
    for segment in segments:
        posteriors = segment.posteriors(rates)
        best = max(range(len(posteriors)), key=posteriors.__getitem__)
        slot_marginals = segment.marginals(rates)
        for position, slot in enumerate(segment.slots):
            marginals = [reading_confidence(option, marginal) if index else marginal
                         for index, (option, marginal) in enumerate(zip(slot.options, slot_marginals[position]))]
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
