"""Restoring files: read each input in bounded memory, restore, write in the chosen format."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from unspin.edits import Restoration
from unspin.lexicon import LexiconError
from unspin.models import ModelError
from unspin.output import OutputFormat, render
from unspin.sources import InputError, check_text_file, expand_inputs, open_lines, read_stdin

if TYPE_CHECKING:
    from unspin.pipeline import Restorer

SETUP_ERRORS = (LexiconError, ModelError)


def restore_paths(paths: Sequence[str], output: str | None, output_format: OutputFormat,
                  progress: bool = True, **options: Any) -> None:
    """Restore each input; with several inputs ``output`` is a folder (created if needed)."""
    names = expand_inputs(list(paths))
    for name in names:
        if name != "-":
            check_text_file(name)
    if len(names) > 1 and output and Path(output).is_file():
        raise InputError(f"{output}: several inputs need a folder for --output, not a file")
    options = {k: v for k, v in options.items() if v is not None}
    restorer: Restorer | None = None
    for name in names:
        text_stream = _lines(name)
        target = _target(name, output, len(names) > 1, output_format)
        with (open(target, "w", encoding="utf-8", newline="") if target else nullcontext(sys.stdout)) as out:
            if len(names) > 1 and not target:
                out.write(f"==> {name} <==\n")
            if restorer is None and not _blank(name):
                from unspin.pipeline import Restorer  # loads lexicons and, later, the model

                restorer = Restorer(progress=progress, **options)
            _restore_stream(restorer, text_stream, out, output_format, progress and _size(name) > 50_000)


def _restore_stream(restorer: Restorer | None, lines: Any, out: IO[str], output_format: OutputFormat,
                    show_progress: bool) -> None:
    colour = output_format is OutputFormat.diff and out.isatty()
    if restorer is None:  # blank input: output equals input, no model needed
        source = "".join(lines)
        restoration = Restoration(source, source, [], {})
        out.write(render(restoration, output_format, colour))
        return
    blocks = restorer.restore_lines(lines)
    if show_progress:
        blocks = _with_progress(blocks)
    if output_format is OutputFormat.json:
        _write_json(blocks, out, restorer)
        return
    for block in blocks:
        out.write(render(block, output_format, colour))
        out.flush()


def _write_json(blocks: Any, out: IO[str], restorer: Restorer) -> None:
    """One JSON document for the whole input, offsets counted from its start."""
    texts, edits, offset = [], [], 0
    for block in blocks:
        texts.append(block.text)
        edits += [edit.shifted(offset) for edit in block.edits]
        offset += len(block.source)
    source_free = Restoration("", "".join(texts), edits, restorer.settings.as_dict())
    out.write(json.dumps(source_free.to_dict(), ensure_ascii=False, indent=2) + "\n")


def _with_progress(blocks: Any) -> Any:
    from rich.progress import Progress

    with Progress(transient=True, console=_stderr_console()) as bar:
        task = bar.add_task("restoring", total=None)
        for block in blocks:
            bar.advance(task, len(block.source))
            yield block


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


_STDIN_CACHE: dict[str, str] = {}


def _lines(name: str) -> Any:
    if name == "-":
        text = _STDIN_CACHE.setdefault("-", read_stdin())
        return iter(text.splitlines(keepends=True))
    return open_lines(name)


def _blank(name: str) -> bool:
    if name == "-":
        return not _STDIN_CACHE.setdefault("-", read_stdin()).strip()
    if _size(name) > 1_000_000:
        return False
    with open(name, encoding="utf-8") as handle:
        return not handle.read().strip()


def _size(name: str) -> int:
    return len(_STDIN_CACHE.get("-", "")) if name == "-" else Path(name).stat().st_size


def _target(name: str, output: str | None, several: bool, output_format: OutputFormat) -> Path | None:
    if not output:
        return None
    if not several:
        return Path(output)
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".json" if output_format is OutputFormat.json else ""
    return folder / (Path(name).name + suffix)


__all__ = ["restore_paths", "SETUP_ERRORS", "InputError"]
