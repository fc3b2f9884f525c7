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

from unspin.decoder import UnitJob, best_readings, choose_edits, decode_units, estimate_rates
from unspin.edits import Edit, Restoration, restoration_from_edits
from unspin.lattice import Vocabulary, build_lattice
from unspin.lexicon import Lexicon, read_word_list, shipped_lexicons
from unspin.scorer import Scorer, load_scorer, return_freed_memory
from unspin.tokens import Span, split_paragraphs, split_sentences, tokenize

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.5
BLOCK_CHARACTERS = 20_000  # paragraphs restored (and spin rate estimated) together
UNIT_MAX_CHARACTERS = 1_200  # longer paragraphs are scored a few sentences at a time


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

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.model, "lexicons": self.lexicons, "lexicon_sha256": self.lexicon_hashes,
                "threshold": self.threshold, "beam": self.beam}


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
        scorer: a ready :class:`~unspin.scorer.Scorer` (overrides ``model``).
        progress: show progress bars (model conversion, long inputs).
    """

    def __init__(self, model: str | None = None, lexicons: Sequence[str | Path] | None = None,
                 threshold: float = DEFAULT_THRESHOLD, exclude: Iterable[str] | str | Path | None = None,
                 scorer: Scorer | None = None, beam: int = 3, progress: bool = False):
        names = list(lexicons) if lexicons else list(shipped_lexicons())
        self.lexicons = [Lexicon.load(name) for name in names]
        self.vocabulary = Vocabulary.default(_excluded(exclude))
        self._kinds = {lexicon.name: lexicon.header.weights for lexicon in self.lexicons}
        self.threshold = threshold
        self.beam = beam
        self.progress = progress
        self._model = model
        self._scorer = scorer
        self._proposals: dict = {}  # build_lattice's memo for these lexicons and vocabulary
        self.settings = RestorerSettings(
            model=scorer.name if scorer else (model or "default"),
            lexicons=[lexicon.name for lexicon in self.lexicons],
            lexicon_hashes=[lexicon.header.sha256 or _file_hash(lexicon.path) for lexicon in self.lexicons],
            threshold=threshold, beam=beam, excluded=len(self.vocabulary.excluded))

    @property
    def scorer(self) -> Scorer:
        if self._scorer is None:
            self._scorer = load_scorer(self._model, progress=self.progress)
            self.settings.model = self._scorer.name
        return self._scorer

    def restore(self, text: str) -> Restoration:
        """Restore ``text``; every byte outside an edit is kept."""
        edits = [edit for block in self._blocks(text) for edit in self._restore_block(text, block)]
        return restoration_from_edits(text, edits, self.settings.as_dict())

    def restore_lines(self, lines: Iterable[str]) -> Iterator[Restoration]:
        """Restore a stream (e.g. a file object) a block of paragraphs at a time, in bounded memory.

        Each yielded restoration covers one block; offsets are relative to that block.
        """
        buffer: list[str] = []
        size = 0
        for line in lines:
            buffer.append(line)
            size += len(line)
            if size >= BLOCK_CHARACTERS and not line.strip():
                yield self.restore("".join(buffer))
                buffer, size = [], 0
            elif size >= 4 * BLOCK_CHARACTERS:
                yield self.restore("".join(buffer))
                buffer, size = [], 0
        if buffer:
            yield self.restore("".join(buffer))

    def _blocks(self, text: str) -> Iterator[_Block]:
        block: _Block | None = None
        for paragraph in split_paragraphs(text):
            if block is None:
                block = _Block(paragraph.start, paragraph.end)
            block.units.extend(_units(paragraph))
            block.end = paragraph.end
            if block.end - block.start >= BLOCK_CHARACTERS:
                yield block
                block = None
        if block is not None:
            yield block

    def _restore_block(self, text: str, block: _Block) -> list[Edit]:
        units = []
        for unit in block.units:
            slots = build_lattice(text, tokenize(unit.text, unit.start), self.lexicons, self.vocabulary,
                                  self._proposals)
            if slots:
                units.append((unit, slots))
        if not units:
            return []
        per_unit = self._decode(text, units, [None] * len(units), None)
        rates = estimate_rates([s for segments in per_unit for s in segments], self._kinds)
        # Second pass: each segment that follows a first-pass change (within RESCORE_WORDS words)
        # is rescored with the earlier ones restored, since spun context misleads the language model.
        contexts = self._first_pass_readings(units, per_unit, rates)
        if any(any(context) for context in contexts):
            per_unit = self._decode(text, units, contexts, per_unit)
            rates = estimate_rates([s for segments in per_unit for s in segments], self._kinds)
        segments = [s for unit_segments in per_unit for s in unit_segments]
        # The model's transient tensors leave the heap fragmented; left alone, a long stream's
        # resident memory grows block after block (to about 2.1 GB on 10 MB) though little is live.
        return_freed_memory()
        logger.info("block %d-%d: spin rates %s", block.start, block.end,
                    ", ".join(f"{name} {rate:.3f}" for name, rate in sorted(rates.items())))
        return choose_edits(segments, rates, self.threshold)

    def _decode(self, text: str, units: list[tuple[Span, list]], contexts: list, previous: list | None
                ) -> list[list]:
        """Segments of each unit (a list per unit)."""
        jobs = [UnitJob(text, unit.start, unit.end, slots, context, previous[number] if previous else None)
                for number, ((unit, slots), context) in enumerate(zip(units, contexts))]
        return decode_units(self.scorer, jobs, self.beam, self.settings.link_words)

    @staticmethod
    def _first_pass_readings(units: list[tuple[Span, list]], per_unit: list[list], rates: dict[str, float]
                             ) -> list[list[int]]:
        return [best_readings(segments, rates) for segments in per_unit]


def _units(paragraph: Span) -> list[Span]:
    """A paragraph, or runs of its sentences when it is too long to score at once."""
    if len(paragraph.text) <= UNIT_MAX_CHARACTERS:
        return [paragraph]
    units: list[Span] = []
    for sentence in split_sentences(paragraph.text, paragraph.start):
        if units and sentence.end - units[-1].start <= UNIT_MAX_CHARACTERS:
            last = units[-1]
            units[-1] = Span(last.start, sentence.end, "")
        else:
            units.append(sentence)
    source = paragraph.text
    return [Span(u.start, u.end, source[u.start - paragraph.start : u.end - paragraph.start]) for u in units]


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
