"""Reading inputs: files, folders of ``.txt`` files, or standard input, checked before use."""

from __future__ import annotations

import codecs
import sys
from collections.abc import Iterator
from pathlib import Path

CHUNK = 1 << 20


class InputError(ValueError):
    """An input that is not readable UTF-8 text; the message names the problem in one line."""


def expand_inputs(paths: list[str]) -> list[str]:
    """Files as given, folders as their ``*.txt`` files (sorted), ``-`` for standard input."""
    expanded: list[str] = []
    for name in paths:
        if name == "-":
            expanded.append(name)
            continue
        path = Path(name)
        if path.is_dir():
            files = sorted(str(p) for p in path.glob("*.txt") if p.is_file())
            if not files:
                raise InputError(f"{name}: is a directory with no .txt files")
            expanded += files
        elif not path.exists():
            raise InputError(f"{name}: no such file")
        else:
            expanded.append(name)
    return expanded


def check_text_file(name: str) -> None:
    """Raise :class:`InputError` unless ``name`` is a readable UTF-8 text file (streamed check)."""
    try:
        with open(name, "rb") as handle:
            decoder = codecs.getincrementaldecoder("utf-8")()
            offset = 0
            while chunk := handle.read(CHUNK):
                if b"\x00" in chunk:
                    raise InputError(f"{name}: binary data (NUL byte at offset {offset + chunk.index(0)}), "
                                     "not text")
                decoder.decode(chunk)
                offset += len(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        raise InputError(f"{name}: not valid UTF-8 (byte {offset + error.start})") from error
    except IsADirectoryError as error:
        raise InputError(f"{name}: is a directory") from error
    except OSError as error:
        raise InputError(f"{name}: {error.strerror or error}") from error


def read_stdin() -> str:
    data = sys.stdin.buffer.read()
    if b"\x00" in data:
        raise InputError("standard input: binary data (NUL byte), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"standard input: not valid UTF-8 (byte {error.start})") from error


def open_lines(name: str) -> Iterator[str]:
    """The lines of a checked file, line endings kept exactly (no newline translation); a line
    longer than CHUNK characters comes in pieces, so that no line is ever held whole."""
    with open(name, encoding="utf-8", newline="") as handle:
        while line := handle.readline(CHUNK):
            yield line
