"""The restorer: text -> tokens -> lattice -> scores -> edits -> restored text.

``Restorer`` loads lexicons at construction and the language model on first need, then
restores any number of texts. Long inputs are processed a block of paragraphs at a time,
each block with its own spin-rate estimate, so memory stays bounded.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unspin.lexicon.format import Lexicon, read_word_list, shipped_lexicons
from unspin.lexicon.related import RelatedWords
from unspin.restoring.decoder import (
    LEARNED_KINDS,
    Rates,
    UnitJob,
    best_readings,
    choose_edits,
    decode_units,
    estimate_block_rates,
)
from unspin.restoring.edits import Edit, Restoration, mean_rates, restoration_from_edits
from unspin.restoring.lattice import FUNCTION_PROPOSALS, MODEL_PROPOSALS, Vocabulary, build_lattice, shipped_related
from unspin.restoring.scoring.loading import load_scorer, return_freed_memory
from unspin.restoring.scoring.models import model_label
from unspin.restoring.scoring.protocol import Scorer
from unspin.restoring.units import context_start, paragraph_units, stream_cut, unit_tokens
from unspin.text.tokens import Span, split_paragraphs

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.5
BLOCK_CHARACTERS = 20_000  # paragraphs restored (and spin rate estimated) together
# Units decoded together (their prepared model states held at once): a block's worth would hold
# some 3 times the seed's, for no gain in speed; the seed's 7,553 characters fit in one go.
DECODE_CHARACTERS = 8_000


@dataclass
class RestorerSettings:
    """Everything that determines a restoration, recorded with each result."""

    model: str
    lexicons: list[str]
    lexicon_hashes: list[str]
    threshold: float
    beam: int = 3
    link_words: int = 1  # only adjacent slots are decoded jointly
    excluded: int = 0
    proposals: str = ""  # the related-words table behind the model's proposals (its sha256), if used
    same_spinner: bool = False
    assume_spun: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.model, "lexicons": self.lexicons, "lexicon_sha256": self.lexicon_hashes,
                "threshold": self.threshold, "beam": self.beam, "proposals": self.proposals or None,
                "same_spinner": self.same_spinner, "assume_spun": self.assume_spun}


@dataclass
class _Block:
    start: int
    end: int
    units: list[Span] = field(default_factory=list)


class Restorer:
    """Restores spun text; build once, call :meth:`restore` many times.

    Args:
        model: hub id or local path of a masked or causal LM; ``None`` uses ``$UNSPIN_MODEL``
            or the offline default (Gemma-3-270M).
        lexicons: shipped lexicon names or lexicon file paths; ``None`` uses all shipped ones.
        threshold: minimum posterior probability for an edit; higher is more precise.
        exclude: words or phrases never to touch, or a path to a word-list file.
        scorer: a ready :class:`~unspin.restoring.scoring.protocol.Scorer` (overrides ``model``).
        progress: show progress bars (model conversion, long inputs).
        propose: let the model propose originals that no lexicon knows (words related to the spun
            word in WordNet or Moby, kept where the model finds them likely); ``None``: where the
            scorer can preview readings cheaply (causal LMs).
        same_spinner: the texts of one :meth:`restore_many` call share one spinner (pages of one
            site), so a mapping seen in one text is evidence in all; else each text stands alone.
        assume_spun: the texts are known to be spun, so the open channels (thesaurus, the model's
            proposals) do not wait for a learned lexicon to show a spinner (``learn --unpaired``).
    """

    def __init__(self, model: str | None = None, lexicons: Sequence[str | Path] | None = None,
                 threshold: float = DEFAULT_THRESHOLD, exclude: Iterable[str] | str | Path | None = None,
                 scorer: Scorer | None = None, beam: int = 3, progress: bool = False,
                 propose: bool | None = None, same_spinner: bool = False, assume_spun: bool = False):
        names = list(lexicons) if lexicons else list(shipped_lexicons())
        self.lexicons = [Lexicon.load(name) for name in names]
        self.vocabulary = Vocabulary.default(_excluded(exclude))
        self._kinds = {lexicon.name: lexicon.prior for lexicon in self.lexicons}
        self._kinds.update({MODEL_PROPOSALS: "model", FUNCTION_PROPOSALS: "function"})
        self.propose = propose
        self.same_spinner = same_spinner
        self.assume_spun = assume_spun
        self.threshold = threshold
        self.beam = beam
        self.progress = progress
        self._model = model
        self._scorer = scorer
        self._proposals: dict = {}  # build_lattice's memo for these lexicons and vocabulary
        self.settings = RestorerSettings(
            model=scorer.name if scorer else model_label(model),
            lexicons=[lexicon.name for lexicon in self.lexicons],
            lexicon_hashes=[lexicon.header.sha256 or _file_hash(lexicon.path) for lexicon in self.lexicons],
            threshold=threshold, beam=beam, excluded=len(self.vocabulary.excluded), same_spinner=same_spinner,
            assume_spun=assume_spun)

    @property
    def related(self) -> RelatedWords | None:
        """The related-words table behind the model's proposals, or ``None`` when they are off."""
        propose = self.propose if self.propose is not None else hasattr(self.scorer, "first_difference")
        if not propose:
            return None
        related = shipped_related()
        self.settings.proposals = related.header.get("sha256", "")
        return related

    @property
    def scorer(self) -> Scorer:
        if self._scorer is None:
            self._scorer = load_scorer(self._model, progress=self.progress)
            self.settings.model = self._scorer.name
        return self._scorer

    def restore(self, text: str) -> Restoration:
        """Restore ``text``; every byte outside an edit is kept."""
        return self.restore_many([text])[0]

    def restore_many(self, texts: Sequence[str]) -> list[Restoration]:
        """Restore several texts, each as :meth:`restore` would, sharing the model's batches.

        Short texts (posts, abstracts, paragraphs) are scored together, up to a block's worth of
        characters at a time, since a model call costs nearly as much for one sentence as for a
        batch of them; each text keeps its own spin-rate estimate. In float32 the result equals
        restoring text by text; in bfloat16 the scores' last bits depend on the batch.
        """
        edits: list[list[Edit]] = [[] for _ in texts]
        rates: list[list[tuple[int, dict[str, float]]]] = [[] for _ in texts]  # (block size, rates) per text
        group: list[tuple[int, _Block]] = []
        size = 0
        for number, block in ((n, b) for n, text in enumerate(texts) for b in self._blocks(text)):
            if group and size + block.end - block.start > BLOCK_CHARACTERS:
                self._restore_group(texts, group, edits, rates)
                group, size = [], 0
            group.append((number, block))
            size += block.end - block.start
        if group:
            self._restore_group(texts, group, edits, rates)
        return [restoration_from_edits(text, found, self.settings.as_dict(), mean_rates(parts))
                for text, found, parts in zip(texts, edits, rates)]

    def restore_lines(self, lines: Iterable[str]) -> Iterator[Restoration]:
        """Restore a stream (e.g. a file object) a block of paragraphs at a time, in bounded memory.

        Each yielded restoration covers one block; offsets are relative to that block. Blocks end
        at a blank line, else at a line end, else (inside a long line) at white space, so a block
        holds at most some 4 x BLOCK_CHARACTERS characters whatever the lines' lengths.
        """
        buffer: list[str] = []
        size = 0
        for line in lines:
            start = 0
            while start < len(line):  # a long line in pieces, so that the buffer never outgrows a block
                piece = line[start : start + 4 * BLOCK_CHARACTERS - size]
                start += len(piece)
                buffer.append(piece)
                size += len(piece)
                if size >= BLOCK_CHARACTERS and not piece.strip():
                    yield self.restore("".join(buffer))
                    buffer, size = [], 0
                elif size >= 4 * BLOCK_CHARACTERS:
                    text = "".join(buffer)
                    cut = len(text) if start == len(line) and line.endswith(("\n", "\r")) else stream_cut(text)
                    yield self.restore(text[:cut])
                    buffer = [text[cut:]] if cut < len(text) else []
                    size = len(text) - cut
        if buffer:
            yield self.restore("".join(buffer))

    def _blocks(self, text: str) -> Iterator[_Block]:
        block: _Block | None = None
        for paragraph in split_paragraphs(text):
            units = paragraph_units(paragraph)
            for unit in units:
                if block is None:
                    block = _Block(paragraph.start if unit is units[0] else unit.start, unit.end)
                block.units.append(unit)
                block.end = unit.end
                # A paragraph longer than a block (a text without line breaks) is cut between units.
                if len(paragraph.text) > BLOCK_CHARACTERS and block.end - block.start >= BLOCK_CHARACTERS:
                    yield block
                    block = None
            if block is not None:
                block.end = paragraph.end
                if block.end - block.start >= BLOCK_CHARACTERS:
                    yield block
                    block = None
        if block is not None:
            yield block

    def _restore_group(self, texts: Sequence[str], group: list[tuple[int, _Block]],
                       edits: list[list[Edit]], rates: list[list[tuple[int, dict[str, float]]]]) -> None:
        pools = [0 if self.same_spinner else number for number, _ in group]
        for (number, block), (found, block_rates) in zip(
                group, self._restore_blocks([(texts[n], block) for n, block in group], pools)):
            edits[number].extend(found)
            rates[number].append((block.end - block.start, block_rates))
        # The model's transient tensors leave the C heap holding some 0.4 GB of freed pages after
        # a block; handing them back (under a millisecond) lowers resident memory between blocks.
        return_freed_memory()

    def _restore_blocks(self, blocks: list[tuple[str, _Block]], pools: list[int]
                        ) -> list[tuple[list[Edit], dict[str, float]]]:
        """The edits and spin rates of each block; the blocks' units are scored together, lexicon rates
        kept per block and mapping evidence per pool (a text, or all texts when they share a spinner)."""
        units = []  # (block number, text, unit span, slots)
        related = self.related
        for number, (text, block) in enumerate(blocks):
            for unit in block.units:
                slots = build_lattice(text, unit_tokens(text, unit), self.lexicons, self.vocabulary,
                                      self._proposals, related)
                if slots:
                    units.append((number, text, unit, slots))
        if not units:
            return [([], {}) for _ in blocks]
        per_unit = self._decode(units, [None] * len(units), None)
        rates = self._rates(len(blocks), units, per_unit, pools)
        # Second pass: each segment that follows a first-pass change (within RESCORE_WORDS words)
        # is rescored with the earlier ones restored, since spun context misleads the language model.
        contexts = [best_readings(segments, rates[number]) for (number, *_), segments in zip(units, per_unit)]
        if any(any(context) for context in contexts):
            per_unit = self._decode(units, contexts, per_unit)
            rates = self._rates(len(blocks), units, per_unit, pools)
        found = []
        for (_, block), segments, block_rates in zip(blocks, _by_block(len(blocks), units, per_unit), rates):
            logger.info("block %d-%d: spin rates %s", block.start, block.end,
                        ", ".join(f"{name} {rate:.3f}" for name, rate in sorted(block_rates.items())))
            found.append((choose_edits(segments, block_rates, self.threshold), block_rates))
        return found

    def _rates(self, blocks: int, units: list, per_unit: list[list], pools: list[int]) -> list[Rates]:
        """Each block's lexicon spin rates (from its own segments) and its pool's mapping rates."""
        return estimate_block_rates(_by_block(blocks, units, per_unit), self._kinds, pools=pools,
                                    gated=not self.assume_spun)

    def _decode(self, units: list, contexts: list, previous: list | None) -> list[list]:
        """Segments of each unit (a list per unit), DECODE_CHARACTERS of units at a time."""
        jobs = [UnitJob(text, context_start(unit), unit.end, slots, context, previous[index] if previous else None)
                for index, ((_, text, unit, slots), context) in enumerate(zip(units, contexts))]
        # Slots that a learned spinner's lexicon knows are decoded jointly with their neighbours
        # and end the windows of the readings before them.
        spinners = {name for name, kind in self._kinds.items() if kind in LEARNED_KINDS}
        segments: list[list] = []
        begin = 0
        while begin < len(jobs):
            end, size = begin + 1, jobs[begin].end - jobs[begin].start
            while end < len(jobs) and size + jobs[end].end - jobs[end].start <= DECODE_CHARACTERS:
                size += jobs[end].end - jobs[end].start
                end += 1
            segments += decode_units(self.scorer, jobs[begin:end], self.beam, self.settings.link_words,
                                     spinners)
            if end < len(jobs):
                return_freed_memory()  # the model's prepared caches of these units are gone now
            begin = end
        return segments


def _by_block(blocks: int, units: list, per_unit: list[list]) -> list[list]:
    """The segments of each block, in order (``units`` carry their block's number first)."""
    segments: list[list] = [[] for _ in range(blocks)]
    for (number, *_), unit_segments in zip(units, per_unit):
        segments[number].extend(unit_segments)
    return segments


def _excluded(exclude: Iterable[str] | str | Path | None) -> frozenset[str]:
    if exclude is None:
        return frozenset()
    if isinstance(exclude, (str, Path)):
        return frozenset(read_word_list(exclude))
    return frozenset(word.lower() for word in exclude)


def _file_hash(path: Path | None) -> str:
    if path is None:
        return ""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def restore(text: str, **options: Any) -> Restoration:
    """Restore one text with a fresh :class:`Restorer` (``options`` are its arguments)."""
    return Restorer(**options).restore(text)
