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
        return self.restore_many([text])[0]

    def restore_many(self, texts: Sequence[str]) -> list[Restoration]:
        """Restore several texts, each as :meth:`restore` would, sharing the model's batches.

        Short texts (posts, abstracts, paragraphs) are scored together, up to a block's worth of
        characters at a time, since a model call costs nearly as much for one sentence as for a
        batch of them; each text keeps its own spin-rate estimate. In float32 the result equals
        restoring text by text; in bfloat16 the scores' last bits depend on the batch.
        """
        edits: list[list[Edit]] = [[] for _ in texts]
        rates: list[list[tuple[int, dict[str, float]]]] = [[] for _ in texts]  # (block length, rates)
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
        restorations = [restoration_from_edits(text, found, self.settings.as_dict())
                        for text, found in zip(texts, edits)]
        for restoration, block_rates in zip(restorations, rates):
            restoration.spin_rates = _text_rates(block_rates)
        return restorations

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

    def _restore_group(self, texts: Sequence[str], group: list[tuple[int, _Block]],
                       edits: list[list[Edit]], rates: list[list[tuple[int, dict[str, float]]]]) -> None:
        restored = self._restore_blocks([(texts[n], block) for n, block in group])
        for (number, block), (found, block_rates) in zip(group, restored):
            edits[number].extend(found)
            if block_rates:
                rates[number].append((block.end - block.start, block_rates))
        # The model's transient tensors leave the C heap holding some 0.4 GB of freed pages after
        # a block; handing them back (under a millisecond) lowers resident memory between blocks.
        return_freed_memory()

    def _restore_blocks(self, blocks: list[tuple[str, _Block]]) -> list[tuple[list[Edit], dict[str, float]]]:
        """The edits and spin rates of each block; the blocks' units are scored together, rates kept per block."""
        units = []  # (block number, text, unit span, slots)
        for number, (text, block) in enumerate(blocks):
            for unit in block.units:
                slots = build_lattice(text, tokenize(unit.text, unit.start), self.lexicons, self.vocabulary,
                                      self._proposals)
                if slots:
                    units.append((number, text, unit, slots))
        if not units:
            return [([], {}) for _ in blocks]
        per_unit = self._decode(units, [None] * len(units), None)
        rates = self._rates(len(blocks), units, per_unit)
        # Second pass: each segment that follows a first-pass change (within RESCORE_WORDS words)
        # is rescored with the earlier ones restored, since spun context misleads the language model.
        contexts = [best_readings(segments, rates[number]) for (number, *_), segments in zip(units, per_unit)]
        if any(any(context) for context in contexts):
            per_unit = self._decode(units, contexts, per_unit)
            rates = self._rates(len(blocks), units, per_unit)
        found = []
        for (_, block), segments, block_rates in zip(blocks, _by_block(len(blocks), units, per_unit), rates):
            logger.info("block %d-%d: spin rates %s", block.start, block.end,
                        ", ".join(f"{name} {rate:.3f}" for name, rate in sorted(block_rates.items())))
            found.append((choose_edits(segments, block_rates, self.threshold), block_rates))
        return found

    def _rates(self, blocks: int, units: list, per_unit: list[list]) -> list[dict[str, float]]:
        """Each block's spin-rate estimate, from its own segments only."""
        return [estimate_rates(segments, self._kinds) for segments in _by_block(blocks, units, per_unit)]

    def _decode(self, units: list, contexts: list, previous: list | None) -> list[list]:
        """Segments of each unit (a list per unit)."""
        jobs = [UnitJob(text, unit.start, unit.end, slots, context, previous[index] if previous else None)
                for index, ((_, text, unit, slots), context) in enumerate(zip(units, contexts))]
        return decode_units(self.scorer, jobs, self.beam, self.settings.link_words)


def _text_rates(blocks: list[tuple[int, dict[str, float]]]) -> dict[str, float]:
    """A text's spin rates: its blocks' estimates, each lexicon's weighted by the lengths of the blocks it was
    estimated in (one block: its own estimate)."""
    if len(blocks) == 1:
        return dict(blocks[0][1])
    totals: dict[str, list[float]] = {}
    for length, rates in blocks:
        for name, rate in rates.items():
            total = totals.setdefault(name, [0.0, 0.0])
            total[0] += length * rate
            total[1] += length
    return {name: weighted / length for name, (weighted, length) in sorted(totals.items())}


def _by_block(blocks: int, units: list, per_unit: list[list]) -> list[list]:
    """The segments of each block, in order (``units`` carry their block's number first)."""
    segments: list[list] = [[] for _ in range(blocks)]
    for (number, *_), unit_segments in zip(units, per_unit):
        segments[number].extend(unit_segments)
    return segments


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
