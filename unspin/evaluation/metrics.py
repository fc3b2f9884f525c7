"""Evaluation of a restorer against gold originals, ERRANT/M2 style.

Definitions (all counted on tokens of :func:`unspin.text.tokens.tokenize`, compared by
:func:`unspin.text.align.token_key`, only inside *evaluated regions*):

- **Evaluated regions**: the sentence groups that :func:`unspin.text.align.align_sentences`
  pairs between the spun text and the original (similarity at least ``min_similarity``);
  sentences found on one side only are not evaluated. ``tokens_evaluated`` counts the spun
  tokens inside regions, ``tokens_total`` all spun tokens.
- **Gold edits**: the differing blocks of the token alignment spun → original
  (:func:`unspin.text.align.diff_tokens`), each a spun token span with its acceptable original
  texts (every combination of ``{a|b}`` options). A gold edit whose spun text is itself an
  acceptable option is *optional*: the system may leave it or pick another option.
- **System edits**: the differing blocks of the alignment spun → system output.
- **Right edit** (true positive): a system edit with the same spun span as a gold edit and
  a text among its options. Optional gold edits count (as gold and as right) only when matched.
  ``precision = tp / (tp + fp)``, ``recall = tp / (tp + fn)`` (each 1.0 when its
  denominator is 0, as in ERRANT), ``f05 = 1.25 * p * r / (0.25 * p + r)``.
- **Exact restoration**: the fraction of required gold edits whose spun span, mapped
  through the spun → system alignment, reads as one of the options in the output
  (looser than recall: the system's own block boundaries do not matter).
- **Over-correction**: the fraction of spun tokens covered by no gold edit that lie in a
  system edit.
- **Errors**: token errors against the original (sum of differing block sizes, the
  longer side of each); ``errors_before`` for the spun text, ``errors_after`` for the
  output, each against the reference with ``{a|b}`` resolved in its favour;
  ``error_reduction = (before - after) / before`` (0 when ``before`` is 0).

The identity baseline is the same evaluation with the spun text as the system output.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from unspin.evaluation.reference import Reference, Slot, parse_reference
from unspin.text.align import (
    DEFAULT_MIN_SIMILARITY,
    Block,
    align_sentences,
    boundary_map,
    diff_tokens,
    token_errors,
    token_key,
)
from unspin.text.tokens import Span, tokenize

logger = logging.getLogger(__name__)

METRIC_KEYS = ("precision", "recall", "f05", "exact_restoration", "overcorrection",
               "errors_before", "errors_after", "error_reduction")


@dataclass(frozen=True)
class TextPair:
    """One evaluation item: spun text, gold original (may hold ``{a|b}``), system output."""

    name: str
    spun: str
    original: str
    system: str | None = None


@dataclass(frozen=True)
class GoldEdit:
    """A gold edit on the spun tokens ``[start, end)`` with every acceptable original."""

    start: int
    end: int
    spun: str
    options: tuple[str, ...]

    @property
    def required(self) -> bool:
        return self.spun not in self.options

    @property
    def targets(self) -> tuple[str, ...]:
        """The options that differ from the spun text (what a right edit must write)."""
        return tuple(o for o in self.options if o != self.spun)


@dataclass(frozen=True)
class Judgement:
    """What the system did with one gold edit (or one spurious edit), for ``--details``."""

    pair: str
    spun: str
    original: str
    system: str
    verdict: str  # right | restored | wrong | missed | spurious


@dataclass
class Counts:
    """Additive per-pair statistics; the metrics are computed from their sums."""

    pairs: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    restored: int = 0
    required: int = 0
    clean_tokens: int = 0
    damaged_tokens: int = 0
    errors_before: int = 0
    errors_after: int = 0
    tokens_evaluated: int = 0
    tokens_total: int = 0

    def __iadd__(self, other: Counts) -> Counts:
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))
        return self

    def metrics(self) -> dict[str, float]:
        """The metric values (see the module docstring), rounded to 4 places."""
        precision = self.tp / (self.tp + self.fp) if self.fp else 1.0
        recall = self.tp / (self.tp + self.fn) if self.fn else 1.0
        f05 = 1.25 * precision * recall / (0.25 * precision + recall) if precision + recall else 0.0
        values = {
            "precision": precision, "recall": recall, "f05": f05,
            "exact_restoration": self.restored / self.required if self.required else 1.0,
            "overcorrection": self.damaged_tokens / self.clean_tokens if self.clean_tokens else 0.0,
            "errors_before": self.errors_before, "errors_after": self.errors_after,
            "error_reduction": ((self.errors_before - self.errors_after) / self.errors_before
                                if self.errors_before else 0.0),
        }
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in values.items()}

    def to_dict(self) -> dict[str, Any]:
        return {**self.metrics(), "counts": asdict(self)}


@dataclass(frozen=True)
class PairResult:
    counts: Counts
    judgements: tuple[Judgement, ...]


@dataclass
class EvaluationReport:
    """System and identity figures over a set of pairs, with the settings that made them."""

    system: Counts
    identity: Counts
    settings: dict[str, Any] = field(default_factory=dict)
    judgements: list[Judgement] = field(default_factory=list)

    def to_dict(self, details: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {"system": self.system.to_dict(), "identity": self.identity.to_dict(),
                                "settings": self.settings}
        if details:
            data["details"] = [asdict(j) for j in self.judgements]
        return data

    def format_text(self, details: bool = False) -> str:
        """A table of system vs identity, the evaluated share, and optionally each edit."""
        system, identity = self.system.metrics(), self.identity.metrics()
        lines = [f"{'metric':<18}{'system':>10}{'identity':>10}"]
        for key in METRIC_KEYS:
            lines.append(f"{key:<18}{system[key]:>10}{identity[key]:>10}")
        counts = self.system
        lines.append(f"pairs {counts.pairs}; tokens evaluated {counts.tokens_evaluated} of "
                     f"{counts.tokens_total} (aligned regions only); gold edits {counts.required}; "
                     f"tp {counts.tp} fp {counts.fp} fn {counts.fn}")
        lines.append("settings: " + ", ".join(f"{k}={v}" for k, v in self.settings.items()))
        if details:
            for j in self.judgements:
                lines.append(f"{j.verdict:<9} {j.pair}: {j.spun!r} -> {j.system!r} (gold {j.original!r})")
        return "\n".join(lines)


@dataclass(frozen=True)
class _Region:
    """One aligned sentence group: spun tokens ``[a0, a1)``, output tokens ``[y0, y1)``, gold slots."""

    a0: int
    a1: int
    y0: int
    y1: int
    slots: tuple[Slot, ...]


@dataclass(frozen=True)
class _Texts:
    """A pair's texts with their tokens, for rendering spans in judgements."""

    name: str
    spun: str
    spun_tokens: tuple[Span, ...]
    output: str
    out_tokens: tuple[Span, ...]

    def spun_text(self, start: int, end: int) -> str:
        return _render(self.spun, self.spun_tokens, start, end)

    def out_text(self, start: int, end: int) -> str:
        return _render(self.output, self.out_tokens, start, end)


def _render(text: str, tokens: Sequence[Span], start: int, end: int) -> str:
    return text[tokens[start].start : tokens[end - 1].end] if end > start else ""


def _regions(texts: _Texts, reference: Reference, mapping: dict[int, int], min_similarity: float
             ) -> list[_Region]:
    regions = []
    for pair in align_sentences(texts.spun, reference.text, min_similarity):
        inside = [i for i, t in enumerate(texts.spun_tokens)
                  if t.start >= pair.a.start and t.end <= pair.a.end]
        if not inside:
            continue
        a0, a1 = inside[0], inside[-1] + 1
        y0 = mapping[max(k for k in mapping if k <= a0)]
        y1 = mapping[min(k for k in mapping if k >= a1)]
        regions.append(_Region(a0, a1, y0, y1, tuple(reference.slots(pair.b))))
    return regions


def _options(slots: Sequence[Slot]) -> tuple[str, ...]:
    combos = itertools.product(*(slot.options for slot in slots))
    return tuple(dict.fromkeys(" ".join(part for part in combo if part) for combo in combos))


def _reference_keys(slots: Sequence[Slot], gold: Sequence[tuple[Block, GoldEdit]], choose: Callable[
                    [Block, GoldEdit], str]) -> list[str]:
    """The region's reference tokens with each gold block's options resolved by ``choose``."""
    keys: list[str] = []
    position = 0
    for block, edit in gold:
        keys.extend(slot.options[0] for slot in slots[position : block.b_start])
        keys.extend(choose(block, edit).split())
        position = block.b_end
    keys.extend(slot.options[0] for slot in slots[position:])
    return keys


def _score_region(texts: _Texts, region: _Region, spun_keys: Sequence[str], out_keys: Sequence[str],
                  counts: Counts, judgements: list[Judgement]) -> None:
    spun, out = spun_keys[region.a0 : region.a1], out_keys[region.y0 : region.y1]
    gold = [(b, GoldEdit(region.a0 + b.a_start, region.a0 + b.a_end, " ".join(spun[b.a_start : b.a_end]),
                         _options(region.slots[b.b_start : b.b_end])))
            for b in diff_tokens(spun, [s.key for s in region.slots])]
    system = {(b.a_start, b.a_end): b for b in diff_tokens(spun, out)}
    local = boundary_map(spun, out)

    def produced(start: int, end: int) -> tuple[str, int, int] | None:
        """What the output has for local spun tokens [start, end): key text and output indices."""
        if (start, end) in system:
            b = system[start, end]
        elif start in local and end in local:
            b = Block(start, end, local[start], local[end])
        else:
            return None
        return " ".join(out[b.b_start : b.b_end]), b.b_start, b.b_end

    matched: set[tuple[int, int]] = set()
    covered: set[int] = set()
    for block, edit in gold:
        covered.update(range(block.a_start, block.a_end))
        made = produced(block.a_start, block.a_end)
        text = made[0] if made else None
        right = (block.a_start, block.a_end) in system and text in edit.targets
        if right:
            matched.add((block.a_start, block.a_end))
            counts.tp += 1
        elif edit.required:
            counts.fn += 1
        if not edit.required and not right:
            continue
        counts.required += edit.required
        counts.restored += edit.required and text in edit.targets
        verdict = ("right" if right else "restored" if text in edit.targets
                   else "missed" if text == edit.spun else "wrong")
        shown = texts.out_text(region.y0 + made[1], region.y0 + made[2]) if made else "?"
        judgements.append(Judgement(texts.name, texts.spun_text(edit.start, edit.end),
                                    "|".join(edit.targets), shown, verdict))
    for span, block in system.items():
        if span in matched:
            continue
        counts.fp += 1
        spun_text = texts.spun_text(region.a0 + block.a_start, region.a0 + block.a_end)
        out_text = texts.out_text(region.y0 + block.b_start, region.y0 + block.b_end)
        judgements.append(Judgement(texts.name, spun_text, "", out_text, "spurious"))
    clean = set(range(len(spun))) - covered
    counts.clean_tokens += len(clean)
    counts.damaged_tokens += len({i for b in system.values() for i in range(b.a_start, b.a_end)} & clean)
    counts.tokens_evaluated += len(spun)

    def for_spun(block: Block, edit: GoldEdit) -> str:
        return edit.spun if not edit.required else edit.options[0]

    def for_output(block: Block, edit: GoldEdit) -> str:
        made = produced(block.a_start, block.a_end)
        return made[0] if made and made[0] in edit.options else for_spun(block, edit)

    counts.errors_before += token_errors(spun, _reference_keys(region.slots, gold, for_spun))
    counts.errors_after += token_errors(out, _reference_keys(region.slots, gold, for_output))


def evaluate_pair(pair: TextPair, min_similarity: float = DEFAULT_MIN_SIMILARITY) -> PairResult:
    """Counts and judgements for one pair (the system output defaults to the spun text)."""
    output = pair.spun if pair.system is None else pair.system
    reference = parse_reference(pair.original)
    texts = _Texts(pair.name, pair.spun, tuple(tokenize(pair.spun)), output, tuple(tokenize(output)))
    spun_keys = [token_key(t.text) for t in texts.spun_tokens]
    out_keys = [token_key(t.text) for t in texts.out_tokens]
    mapping = boundary_map(spun_keys, out_keys)
    counts = Counts(pairs=1, tokens_total=len(spun_keys))
    judgements: list[Judgement] = []
    for region in _regions(texts, reference, mapping, min_similarity):
        _score_region(texts, region, spun_keys, out_keys, counts, judgements)
    return PairResult(counts, tuple(judgements))


def evaluate(pairs: Iterable[TextPair], system: Callable[[str], str] | None = None,
             settings: dict[str, Any] | None = None, min_similarity: float = DEFAULT_MIN_SIMILARITY
             ) -> EvaluationReport:
    """Evaluate ``pairs`` and the identity baseline beside them.

    A pair's output is ``pair.system`` if given, else ``system(pair.spun)``, else (no
    system at all) the spun text itself.
    """
    report = EvaluationReport(Counts(), Counts(), {**(settings or {}), "min_similarity": min_similarity})
    for pair in pairs:
        output = pair.system if pair.system is not None else system(pair.spun) if system else pair.spun
        result = evaluate_pair(TextPair(pair.name, pair.spun, pair.original, output), min_similarity)
        report.system += result.counts
        report.judgements.extend(result.judgements)
        report.identity += evaluate_pair(TextPair(pair.name, pair.spun, pair.original), min_similarity).counts
        logger.debug("evaluated %s", pair.name)
    return report


def _files(path: Path) -> dict[str, Path]:
    if path.is_dir():
        return {p.name: p for p in sorted(path.iterdir()) if p.is_file() and not p.name.startswith(".")}
    if path.is_file():
        return {path.name: path}
    raise FileNotFoundError(f"no such file or folder: {path}")


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def read_pairs(spun: Path, original: Path, system: Path | None = None) -> list[TextPair]:
    """Pairs from two files, or from two folders of same-named files (optionally a third for outputs)."""
    spun_files, orig_files = _files(spun), _files(original)
    sys_files = _files(system) if system else {}
    if spun.is_file() and original.is_file():
        names = [(spun.name, spun, original, system)]
    else:
        common = sorted(set(spun_files) & set(orig_files))
        if not common:
            raise FileNotFoundError(f"no same-named files in {spun} and {original}")
        names = [(n, spun_files[n], orig_files[n], sys_files.get(n)) for n in common]
    pairs = []
    for name, s, o, y in names:
        if system and y is None:
            raise FileNotFoundError(f"no system output for {name} in {system}")
        pairs.append(TextPair(name, _read(s), _read(o), _read(y) if y else None))
    return pairs


def restorer_system(model: str | None = None, lexicons: Sequence[str | Path] | None = None,
                    threshold: float | None = None) -> tuple[Callable[[str], str], dict[str, Any]]:
    """A system function backed by :class:`unspin.Restorer`, with the settings it records.

    Options left ``None`` take the restorer's defaults. The model loads on first use.
    """
    from unspin import Restorer

    options: dict[str, Any] = {"model": model, "lexicons": list(lexicons) if lexicons else None}
    if threshold is not None:
        options["threshold"] = threshold
    restorer = Restorer(**options)

    def run(text: str) -> str:
        return restorer.restore(text).text

    return run, {"system": "restorer", **restorer.settings.as_dict()}
