"""Substitution lexicons: spun phrase -> candidate originals with channel probabilities.

A lexicon is a TSV file (optionally ``.gz`` or ``.xz``) with a ``#`` header::

    # name: news
    # source: ...
    # licence: ...
    # version: 1
    # weights: count            (or: probability)
    # sha256: <hex digest of the data lines>
    # prior: fingerprint        (optional: how often a spinner is expected to apply it)
    spun<TAB>original<TAB>weight[<TAB>note]

``weights: probability`` rows hold the channel probability P(spun | original, spun at all)
directly; ``weights: count`` rows hold how often ``original`` was seen spun as ``spun``,
and the loader turns them into P(spun | original) = count / (total count of the original + 1):
the extra one is the mass left for substitutes not seen yet, so that a single sighting is
not taken for a certainty.
The optional ``prior`` key says how a document's spin rate of the lexicon starts, before the document
says more (:attr:`Lexicon.prior`): by default as its weights kind; ``fingerprint`` for phrases that
nobody writes but a spinner ("counterfeit consciousness"), which are restored unless the context
rules them out.
Phrases are stored normalised (:func:`normalize_phrase`): lower case, tokens joined by one space.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import lzma
import math
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from unspin.text.tokens import tokenize

UNSEEN_MASS = 1.0  # pseudo-count of substitutes a learned spinner has not been seen to use
HEADER_KEYS = ("name", "source", "licence", "version", "weights", "sha256")
WEIGHT_KINDS = ("count", "probability")
PRIOR_KINDS = (*WEIGHT_KINDS, "fingerprint")


class LexiconError(ValueError):
    """A lexicon file is missing or malformed."""


@dataclass(frozen=True)
class LexiconEntry:
    spun: str
    original: str
    weight: float
    note: str = ""


@dataclass(frozen=True)
class Candidate:
    """A possible original for a spun phrase, with the channel probability P(spun | original)."""

    original: str
    channel: float
    lexicon: str


@dataclass
class LexiconHeader:
    name: str
    source: str = ""
    licence: str = ""
    version: str = "1"
    weights: str = "probability"
    sha256: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        values = {"name": self.name, "source": self.source, "licence": self.licence,
                  "version": self.version, "weights": self.weights, "sha256": self.sha256}
        rows = [f"# {key}: {values[key]}" for key in HEADER_KEYS]
        rows += [f"# {key}: {value}" for key, value in self.extra.items()]
        return rows


_ALREADY_NORMAL = re.compile(r"[a-z]+(?:-[a-z]+)*(?: [a-z]+(?:-[a-z]+)*)*")


def normalize_phrase(text: str) -> str:
    """The lookup key of a phrase: its tokens, lower-cased, straight apostrophes, one space apart."""
    if _ALREADY_NORMAL.fullmatch(text):  # most rows: no tokeniser needed (loading 10x faster)
        return text
    return " ".join(t.text.lower().replace("’", "'") for t in tokenize(text.strip()))


def _open_text(path: Path, mode: str = "rt") -> io.TextIOBase:
    if path.suffix == ".gz":
        return gzip.open(path, mode, encoding="utf-8")
    if path.suffix == ".xz":
        return lzma.open(path, mode, encoding="utf-8")
    return open(path, mode, encoding="utf-8")


def _entry_line(entry: LexiconEntry) -> str:
    weight = f"{entry.weight:.6g}"
    return "\t".join([entry.spun, entry.original, weight] + ([entry.note] if entry.note else []))


def content_hash(entries: Iterable[LexiconEntry]) -> str:
    digest = hashlib.sha256()
    for entry in entries:
        digest.update((_entry_line(entry) + "\n").encode("utf-8"))
    return digest.hexdigest()


def write_lexicon(path: str | Path, header: LexiconHeader, entries: Iterable[LexiconEntry]) -> Path:
    """Write a lexicon file (compressed by its suffix), sorted, with its content hash in the header."""
    path = Path(path)
    if header.weights not in WEIGHT_KINDS:
        raise LexiconError(f"weights must be one of {WEIGHT_KINDS}, not {header.weights!r}")
    rows = sorted(set(entries), key=lambda e: (e.spun, e.original, -e.weight, e.note))
    header.sha256 = content_hash(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 keeps gzip output byte-identical across rebuilds.
    if path.suffix == ".gz":
        handle = io.TextIOWrapper(gzip.GzipFile(path, "wb", mtime=0), encoding="utf-8")
    else:
        handle = _open_text(path, "wt")
    with handle:
        for line in header.lines():
            handle.write(line + "\n")
        for entry in rows:
            handle.write(_entry_line(entry) + "\n")
    return path


def read_lexicon(path: str | Path) -> tuple[LexiconHeader, list[LexiconEntry]]:
    """Read a lexicon file; raises :class:`LexiconError` with the line number on bad rows."""
    path = Path(path)
    if not path.is_file():
        raise LexiconError(f"lexicon file not found: {path}")
    meta: dict[str, str] = {}
    entries: list[LexiconEntry] = []
    try:
        with _open_text(path) as handle:
            for number, line in enumerate(handle, 1):
                line = line.rstrip("\n")
                if line.startswith("#"):
                    key, _, value = line[1:].partition(":")
                    meta[key.strip().lower()] = value.strip()
                    continue
                if not line.strip():
                    continue
                entries.append(_parse_row(line, path, number))
    except (OSError, EOFError, lzma.LZMAError, UnicodeDecodeError) as error:
        raise LexiconError(f"cannot read lexicon {path}: {error}") from error
    name = meta.pop("name", "") or path.name.split(".")[0]
    header = LexiconHeader(name=name, **{k: meta.pop(k) for k in HEADER_KEYS[1:] if k in meta}, extra=meta)
    if header.weights not in WEIGHT_KINDS:
        raise LexiconError(f"{path}: header 'weights' must be one of {WEIGHT_KINDS}")
    if header.extra.get("prior", header.weights) not in PRIOR_KINDS:
        raise LexiconError(f"{path}: header 'prior' must be one of {PRIOR_KINDS}")
    return header, entries


def _parse_row(line: str, path: Path, number: int) -> LexiconEntry:
    cells = line.split("\t")
    if len(cells) < 3:
        raise LexiconError(f"{path}:{number}: expected spun<TAB>original<TAB>weight, got {line!r}")
    try:
        weight = float(cells[2])
    except ValueError as error:
        raise LexiconError(f"{path}:{number}: weight {cells[2]!r} is not a number") from error
    if not 0.0 <= weight < math.inf:  # NaN, infinities and negatives would poison the channel
        raise LexiconError(f"{path}:{number}: weight {cells[2]!r} is not a finite number >= 0")
    return LexiconEntry(cells[0], cells[1], weight, cells[3] if len(cells) > 3 else "")


class Lexicon:
    """An in-memory lexicon: spun phrase -> candidate originals with P(spun | original)."""

    def __init__(self, header: LexiconHeader, entries: Iterable[LexiconEntry], path: Path | None = None):
        self.header = header
        self.path = path
        self._backward: dict[str, dict[str, float]] = defaultdict(dict)
        self._forward: dict[str, dict[str, float]] = defaultdict(dict)
        for entry in entries:
            spun, original = normalize_phrase(entry.spun), normalize_phrase(entry.original)
            if spun and original and spun != original and entry.weight > 0:
                self._forward[original][spun] = self._forward[original].get(spun, 0.0) + entry.weight
        if header.weights == "count":
            for spuns in self._forward.values():
                total = sum(spuns.values()) + UNSEEN_MASS
                for spun in spuns:
                    spuns[spun] /= total
        for original, spuns in self._forward.items():
            for spun, probability in spuns.items():
                self._backward[spun][original] = min(1.0, probability)
        self.max_words = max((len(k.split()) for k in self._backward), default=1)

    @property
    def name(self) -> str:
        return self.header.name

    @property
    def prior(self) -> str:
        """The kind of the prior on the lexicon's spin rate: its weights kind, or ``fingerprint``."""
        return self.header.extra.get("prior", self.header.weights)

    def __len__(self) -> int:
        return sum(len(v) for v in self._backward.values())

    def __contains__(self, spun: str) -> bool:
        return spun in self._backward

    def candidates(self, spun: str) -> list[Candidate]:
        """Originals that the spinner may have turned into ``spun`` (a normalised phrase)."""
        found = self._backward.get(spun, {})
        return [Candidate(o, p, self.name) for o, p in sorted(found.items(), key=lambda kv: -kv[1])]

    def substitutes(self, original: str) -> dict[str, float]:
        """Forward direction (for spinning): spun phrases for ``original`` with P(spun | original)."""
        return dict(self._forward.get(original, {}))

    def spun_phrases(self) -> Iterator[str]:
        return iter(self._backward)

    @classmethod
    def load(cls, name_or_path: str | Path) -> Lexicon:
        path = resolve_lexicon(name_or_path)
        header, entries = read_lexicon(path)
        return cls(header, entries, path)


def lexicon_dir() -> Path:
    """Where the shipped lexicons live: inside the wheel, or at the repository root in a checkout."""
    override = os.environ.get("UNSPIN_LEXICON_DIR")
    if override:
        return Path(override)
    package = Path(__file__).resolve().parents[1]  # unspin/
    packaged = package / "lexicons"
    if packaged.is_dir():
        return packaged
    return package.parent / "lexicons"


def shipped_lexicons() -> dict[str, Path]:
    """Names of the shipped lexicons mapped to their files."""
    found: dict[str, Path] = {}
    directory = lexicon_dir()
    if directory.is_dir():
        for path in sorted(directory.iterdir()):
            if path.name.endswith((".tsv", ".tsv.gz", ".tsv.xz")):
                found[path.name.split(".")[0]] = path
    return found


def resolve_lexicon(name_or_path: str | Path) -> Path:
    """A shipped lexicon's name, or a path to a lexicon file."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = shipped_lexicons()
    if str(name_or_path) in shipped:
        return shipped[str(name_or_path)]
    known = ", ".join(shipped) or "none"
    raise LexiconError(f"no lexicon named or at {name_or_path!s} (shipped: {known})")


def read_word_list(path: str | Path) -> set[str]:
    """A word list (one word or phrase a line, ``#`` comments) as normalised phrases."""
    path = Path(path)
    if not path.is_file():
        raise LexiconError(f"word list not found: {path}")
    with open(path, encoding="utf-8") as handle:
        rows = (line.split("#", 1)[0].strip() for line in handle)
        return {normalize_phrase(row) for row in rows if row}
