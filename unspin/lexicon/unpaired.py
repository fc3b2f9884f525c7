"""Inducing a spinner lexicon from spun articles alone, without originals (``unspin learn --unpaired``).

A content farm publishes many pages through one spinner, and a spinner maps an original the same
way each time. So the restorer's own evidence, pooled over a folder of such pages, teaches the
spinner's dictionary: expectation-maximisation over the folder.

- E step: restore every text with ``same_spinner`` (a mapping seen in one page is evidence in
  the others of its group; the model proposes originals related to each word, filtered by what it
  finds likely, and the lexicons propose theirs); every edit adds its confidence to the expected
  count of its mapping, spun phrase -> original (lower case).
- M step: keep the mappings that recur with strong evidence (an expected count of at least
  ``min_count`` over at least ``min_occurrences`` edits, with a mean confidence of at least
  ``min_confidence``), as a lexicon with ``weights: count``.
- Another round restores the folder again with that lexicon beside the others (its sharp channel
  now carries evidence from the whole folder into each group) and counts afresh.

Texts are restored a group at a time (:data:`GROUP_CHARACTERS`), so memory stays bounded however
large the folder; only the counts are kept. An edit inside a name ("the White Home official") is
stored as the name phrase ("white home" -> "white house"), never as the bare word, as
:mod:`.learn` does; one-word mappings are also stored at lemma level, re-inflected, with a lower
weight (:func:`.learn.inflected_pairs`).

This module runs the restorer (:mod:`unspin.restoring`), which itself reads lexicons: it is the one
place in :mod:`unspin.lexicon` that imports it, and only inside :func:`learn_unpaired`.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from unspin.lexicon.format import LexiconEntry, LexiconHeader, normalize_phrase, shipped_lexicons, write_lexicon
from unspin.lexicon.learn import inflected_pairs

logger = logging.getLogger(__name__)

# Texts restored per call (and held in memory at once); the restorer pools a mapping's evidence
# within each of its own blocks of texts, and the next round carries it across groups.
GROUP_CHARACTERS = 100_000


@dataclass(frozen=True)
class UnpairedSettings:
    """Knobs of the unpaired learner (recorded in the lexicon header)."""

    min_count: float = 2.0        # expected count: the sum of a mapping's edit confidences
    min_occurrences: int = 2      # edits of the mapping (one clear sighting is not a dictionary entry)
    # Mean confidence of those edits. Each edit already reached ``threshold``; a higher bar lost true
    # mappings once the model's proposals got a weaker channel (their first sightings are less sure).
    min_confidence: float = 0.5
    rounds: int = 2               # restorations of the folder (the later ones with the lexicon so far)
    threshold: float = 0.5        # the restorer's minimum confidence of an edit while learning
    inflection_weight: float = 0.5
    propose: bool | None = None   # the model's own proposals (None: where the scorer previews cheaply)

    def describe(self) -> str:
        return " ".join(f"{key}={value}" for key, value in self.__dict__.items())


class _EditLike(Protocol):
    start: int
    end: int
    original: str
    replacement: str
    confidence: float


@dataclass
class Mapping:
    """The evidence for one mapping: spun phrase -> original, over the folder."""

    expected: float = 0.0
    occurrences: int = 0
    files: set[int] = field(default_factory=set)
    name_phrase: bool = False

    @property
    def confidence(self) -> float:
        return self.expected / self.occurrences if self.occurrences else 0.0


class Evidence:
    """Expected counts of mappings, accumulated over restorations (an E step)."""

    def __init__(self) -> None:
        self.mappings: dict[tuple[str, str], Mapping] = {}

    def add(self, file: int, source: str, edits: Iterable[_EditLike]) -> None:
        """Count the edits of one restored text (``source`` is the text they apply to)."""
        for edit in edits:
            found = mapping_of(source, edit)
            if found is None:
                continue
            spun, original, name = found
            mapping = self.mappings.setdefault((spun, original), Mapping())
            mapping.expected += edit.confidence
            mapping.occurrences += 1
            mapping.files.add(file)
            mapping.name_phrase |= name

    def kept(self, settings: UnpairedSettings) -> dict[tuple[str, str], Mapping]:
        """The mappings that recur with strong evidence (the M step's choice)."""
        return {key: m for key, m in self.mappings.items()
                if m.expected >= settings.min_count and m.occurrences >= settings.min_occurrences
                and m.confidence >= settings.min_confidence}

    def entries(self, settings: UnpairedSettings) -> list[LexiconEntry]:
        """Lexicon rows (``weights: count``) of the kept mappings, with lemma-level rows."""
        rows: dict[tuple[str, str], LexiconEntry] = {}
        kept = self.kept(settings)
        for (spun, original), mapping in sorted(kept.items()):
            note = (f"unpaired{' name' if mapping.name_phrase else ''}: {mapping.occurrences} edits"
                    f" in {len(mapping.files)} files, mean confidence {mapping.confidence:.2f}")
            rows[spun, original] = LexiconEntry(spun, original, round(mapping.expected, 3), note)
        for (spun, original), mapping in sorted(kept.items()):
            if mapping.name_phrase or " " in spun or " " in original:
                continue
            weight = round(settings.inflection_weight * mapping.expected, 3)
            for s, o in inflected_pairs(spun, original):
                if (s, o) not in rows or (rows[s, o].note.startswith("inflection") and rows[s, o].weight < weight):
                    rows[s, o] = LexiconEntry(s, o, weight, f"inflection of {spun}->{original}")
        return sorted(rows.values(), key=lambda e: (e.spun, e.original))


# A capitalised word of a name, abbreviations included ("U.S.", "Mr.").
_NAME_WORD = re.compile(r"[A-Z][\w'’-]*(?:\.[A-Z][\w'’-]*)*\.?")
_NAME_BEFORE = re.compile(r"(?<![\w.])([A-Z][\w'’-]*(?:\.[A-Z][\w'’-]*)*\.?) $")


def mapping_of(source: str, edit: _EditLike) -> tuple[str, str, bool] | None:
    """The mapping an edit says the spinner made, as (spun, original, inside a name), normalised.

    Next to another capitalised word the edit is part of a name ("White Home"): the mapping is
    widened to that word on each side, so that "home" is not taken for "house" elsewhere. A lone
    capitalised word in mid-sentence is a name too ("the Home and Senate"), with nothing to widen
    to: no mapping (``None``), as :mod:`.learn` rejects it.
    """
    spun, original = normalize_phrase(edit.original), normalize_phrase(edit.replacement)
    if not spun or not original or spun == original:
        return None
    if not edit.original[:1].isupper():
        return spun, original, False
    before = _NAME_BEFORE.search(source, max(0, edit.start - 40), edit.start)
    if before and before.group(1).lower() in _common_words() and _sentence_start(source, before.start(1)):
        before = None  # "The" opening a sentence is no part of a name
    after = _NAME_WORD.match(source, edit.end + 1) if source[edit.end : edit.end + 1] == " " else None
    if before is None and after is None:
        return (spun, original, False) if _sentence_start(source, edit.start) else None
    left = before.group(1) + " " if before else ""
    right = " " + after.group(0) if after else ""
    return (normalize_phrase(left + edit.original + right), normalize_phrase(left + edit.replacement + right),
            True)


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    from wordfreq import top_n_list

    return frozenset(top_n_list("en", 100))


def _sentence_start(source: str, start: int) -> bool:
    """Whether only white space, opening quotes or brackets stand between ``start`` and a sentence end."""
    before = source[max(0, start - 200) : start].rstrip(" \t\u00a0\"'“‘([")
    return not before or before[-1] in ".!?:;\n\r"


class _Restores(Protocol):
    def restore_many(self, texts: Sequence[str]) -> list[Any]: ...


def collect(files: Sequence[Path], restorer: _Restores, progress: Callable[[int], None] | None = None
            ) -> Evidence:
    """One E step: restore ``files`` a group at a time and count every edit's mapping."""
    evidence = Evidence()
    for group in _groups(files):
        texts = [files[index].read_text(encoding="utf-8") for index in group]
        for index, text, restoration in zip(group, texts, restorer.restore_many(texts)):
            evidence.add(index, text, restoration.edits)
        if progress is not None:
            progress(len(group))
    return evidence


def _groups(files: Sequence[Path]) -> Iterator[list[int]]:
    group: list[int] = []
    size = 0
    for index, path in enumerate(files):
        length = path.stat().st_size
        if group and size + length > GROUP_CHARACTERS:
            yield group
            group, size = [], 0
        group.append(index)
        size += length
    if group:
        yield group


@dataclass
class UnpairedResult:
    """What :func:`learn_unpaired` wrote: the lexicon file, its rows and the mappings behind them."""

    path: Path
    entries: list[LexiconEntry]
    mappings: dict[tuple[str, str], Mapping]
    files: int
    model: str


def learn_unpaired(files: Sequence[Path], output: Path, name: str | None = None, *, source: str = "",
                   model: str | None = None, lexicons: Sequence[str | Path] | None = None, scorer: Any = None,
                   settings: UnpairedSettings = UnpairedSettings(),
                   progress: Callable[[int, int], None] | None = None, show_model_progress: bool = False
                   ) -> UnpairedResult:
    """Induce the spinner lexicon of ``files`` (spun texts, no originals) and write it to ``output``.

    ``lexicons`` (default: all shipped ones) and ``model`` (or a ready ``scorer``) restore the
    texts; ``progress(done, total)`` is called once the model is ready and after each group of
    files (``total`` counts every round's files).
    """
    from unspin.restoring.pipeline import Restorer  # lexicon -> restoring: see the module docstring

    files = list(files)
    name = name or output.name.split(".")[0]
    base = list(lexicons) if lexicons else list(shipped_lexicons())
    # The folder is spun (that is the premise), so the open channels need no learned lexicon's word for it.
    options: dict[str, Any] = {"threshold": settings.threshold, "same_spinner": True, "propose": settings.propose,
                               "assume_spun": True}
    restorer = Restorer(model=model, lexicons=base, scorer=scorer, progress=show_model_progress, **options)
    restorer.scorer  # noqa: B018  (the model loads before any progress is shown)
    total, done = len(files) * max(settings.rounds, 1), 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    advance(0)
    evidence = collect(files, restorer, advance)
    with tempfile.TemporaryDirectory(prefix="unspin-unpaired-") as directory:
        for round_number in range(2, settings.rounds + 1):
            entries = evidence.entries(settings)
            logger.info("round %d: %d mappings kept of %d seen", round_number - 1,
                        len(evidence.kept(settings)), len(evidence.mappings))
            if not entries:
                advance(len(files) * (settings.rounds - round_number + 1))
                break
            learned = write_lexicon(Path(directory) / f"{name}-round{round_number - 1}.tsv",
                                    LexiconHeader(f"{name}-round{round_number - 1}", weights="count"), entries)
            again = Restorer(lexicons=[*base, learned], scorer=restorer.scorer, **options)
            evidence = collect(files, again, advance)
    entries = evidence.entries(settings)
    kept = evidence.kept(settings)
    logger.info("final: %d mappings kept of %d seen, %d rows", len(kept), len(evidence.mappings), len(entries))
    restorer_settings = restorer.settings
    header = LexiconHeader(
        name=name, source=source or f"induced by unspin.lexicon.unpaired from {len(files)} spun files",
        licence="Apache-2.0 (word pairs derived by unspin)", version="1", weights="count",
        extra={"learner": f"unpaired EM; {settings.describe()}",
               "files": str(len(files)),
               "model": restorer_settings.model,
               "lexicons": " ".join(f"{n}:{h[:12]}" for n, h in zip(restorer_settings.lexicons,
                                                                    restorer_settings.lexicon_hashes)),
               "proposals": restorer_settings.proposals[:12] or "none"})
    path = write_lexicon(output, header, entries)
    return UnpairedResult(path, entries, kept, len(files), restorer_settings.model)
