"""Tortured phrases (Problematic Paper Screener) -> lexicon entries.

The PPS list pairs a tortured phrase with the phrase it replaced ("counterfeit consciousness" ->
"artificial intelligence"). Its ``expected`` column carries curators' notes: question marks for
uncertain readings, acronyms and glosses in brackets, quoted alternatives, links. :func:`clean_expected`
turns one ``expected`` cell into readings plus a note; :func:`tortured_entries` merges case variants and
shares each tortured phrase's probability over its readings; :func:`fingerprints` leaves out the listed
phrases that ordinary writers use too.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from unspin.lexicon.format import LexiconEntry, LexiconError, normalize_phrase

_GROUP = re.compile(r"\s*[(\[]([^()\[\]]*)[)\]]")          # innermost (...) or [...]
_UNCLOSED = re.compile(r"\s*[(\[][^()\[\]]*$")               # "nuclear medicine (nm"
_SEE = re.compile(r",?\s+(?:see\s|https?://).*$", re.IGNORECASE)
_QUOTED = re.compile(r"[\"“‘]([^\"”’]+)[\"”’]")
_ALTERNATIVE_SLASH = re.compile(r"\s*/\s+|\s+/\s*")          # "an incredible/ a staggering need"
_QUESTION = re.compile(r"\s*\?+")
_EDGE_PUNCTUATION = " ,;:.-"


@dataclass(frozen=True)
class PpsRow:
    """One row of the PPS export: a tortured phrase, its expected phrase, where it was found."""

    tortured: str
    expected: str
    sources: str


def read_pps(path: str | Path) -> list[PpsRow]:
    """Read ``tortured<TAB>expected<TAB>sources`` rows (with a header line)."""
    path = Path(path)
    if not path.is_file():
        raise LexiconError(f"tortured-phrase list not found: {path}")
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if not header or [h.strip().lower() for h in header[:2]] != ["tortured", "expected"]:
            raise LexiconError(f"{path}:1: expected a header 'tortured<TAB>expected<TAB>sources'")
        rows = []
        for number, cells in enumerate(reader, 2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) < 2:
                raise LexiconError(f"{path}:{number}: expected tortured<TAB>expected, got {cells!r}")
            rows.append(PpsRow(cells[0], cells[1], cells[2] if len(cells) > 2 else ""))
    return rows


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text).strip()


def clean_expected(tortured: str, expected: str) -> tuple[list[str], str]:
    """The readings in a PPS ``expected`` cell and the note that was cut from it.

    Brackets are kept only when the tortured phrase has the same bracket (an acronym such as
    "(svm)" on both sides); other brackets, "?" marks, links and "see ..." remarks go to the note.
    Quoted alternatives ("a" or "b") and spaced slashes ("x/ y") give several readings.
    """
    text, notes = _unescape(expected), []
    tortured_key = normalize_phrase(_unescape(tortured))
    if _QUESTION.search(text):
        notes.append("uncertain")
    text = _strip_groups(text, tortured_key, notes)
    see = _SEE.search(text)
    if see:
        notes.append(see.group(0).strip(" ,"))
        text = text[: see.start()]
    text = _QUESTION.sub("", text)
    quoted = _QUOTED.findall(text)
    if quoted and not _QUOTED.sub("", text).replace("or", "").strip(" ,;"):
        readings = quoted
    else:
        readings = _ALTERNATIVE_SLASH.split(text)
    readings = [_unquoted(" ".join(r.split()).strip(_EDGE_PUNCTUATION)) for r in readings]
    return [r for r in readings if any(c.isalpha() for c in r)], "; ".join(notes)


def _unquoted(text: str) -> str:
    if len(text) > 1 and text[0] in "\"“‘" and text[-1] in "\"”’":
        return text[1:-1].strip()
    return text


def _strip_groups(text: str, tortured_key: str, notes: list[str]) -> str:
    """Remove bracketed groups absent from the tortured phrase, innermost first, noting them."""
    kept: list[str] = []
    while True:
        match = _GROUP.search(text)
        if not match:
            break
        group = match.group(0).strip()
        inner = match.group(1).strip()
        if inner and inner != "?" and normalize_phrase(group) in tortured_key:
            placeholder = f"\x00{len(kept)}\x00"
            kept.append(group)
            text = text[: match.start()] + " " + placeholder + text[match.end():]
        else:
            if inner and inner.strip("?"):
                notes.append(group)
            text = text[: match.start()] + text[match.end():]
    unclosed = _UNCLOSED.search(text)
    if unclosed:
        notes.append(unclosed.group(0).strip())
        text = text[: unclosed.start()]
    for number, group in enumerate(kept):
        text = text.replace(f"\x00{number}\x00", group)
    return text


def tortured_entries(rows: Iterable[PpsRow]) -> list[LexiconEntry]:
    """Lexicon entries: case variants merged, weight 1/(number of readings of the tortured phrase).

    Where the tortured phrase and its reading end in the same bracketed acronym ("aid vector machine
    (svm)" -> "support vector machine (svm)"), the pair without the acronym is added too (note
    "acronym dropped") unless the list has that tortured phrase already.
    """
    readings: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in rows:
        tortured = normalize_phrase(_unescape(row.tortured))
        if not tortured:
            continue
        found, note = clean_expected(row.tortured, row.expected)
        for reading in found:
            original = normalize_phrase(reading)
            if original and original != tortured:
                readings[tortured][original].update([note] if note else [])
    listed = set(readings)
    for tortured in sorted(listed):
        for short_tortured, short_original in _without_acronym(tortured, readings[tortured]):
            if short_tortured not in listed:
                readings[short_tortured][short_original].add("acronym dropped")
    return list(_shared(readings))


def _without_acronym(tortured: str, originals: dict[str, set[str]]) -> Iterator[tuple[str, str]]:
    acronym = re.search(r" \( [^()]+ \)$", tortured)
    if not acronym:
        return
    for original in originals:
        if original.endswith(acronym.group(0)):
            short_tortured = tortured[: acronym.start()]
            short_original = original[: -len(acronym.group(0))]
            if short_tortured and short_original and short_tortured != short_original:
                yield short_tortured, short_original


def _shared(readings: dict[str, dict[str, set[str]]]) -> Iterator[LexiconEntry]:
    for tortured, originals in readings.items():
        for original, notes in originals.items():
            yield LexiconEntry(tortured, original, 1.0 / len(originals), "; ".join(sorted(notes)))


# A single word this common (wordfreq Zipf) is ordinary English, whatever spinner also writes it.
ORDINARY_WORD_ZIPF = 2.5


def fingerprints(entries: list[LexiconEntry], zipf: Callable[[str], float] | None = None
                 ) -> tuple[list[LexiconEntry], dict[str, int]]:
    """The entries whose tortured phrase is a fingerprint (nobody writes it but a spinner), and how
    many tortured phrases were left out by reason.

    Left out: a phrase that is itself the reading of a listed phrase ("machine learning", "neural
    network": real terms, whatever reading the list gives them), and a single plain word in ordinary
    use ("brilliant" for "smart"). A restorer trusts a fingerprint unless the context rules it out.
    """
    zipf = zipf or _zipf
    originals = {entry.original for entry in entries}
    reasons: dict[str, str] = {}
    for entry in entries:
        if entry.spun in originals:
            reasons[entry.spun] = "a listed phrase's reading"
        elif re.fullmatch(r"[a-z]+", entry.spun) and zipf(entry.spun) >= ORDINARY_WORD_ZIPF:
            reasons[entry.spun] = "an ordinary word"
    counts: dict[str, int] = defaultdict(int)
    for reason in reasons.values():
        counts[reason] += 1
    return [entry for entry in entries if entry.spun not in reasons], dict(counts)


def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en")
