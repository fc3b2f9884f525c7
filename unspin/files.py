"""Restoring files: read each input in bounded memory, restore, write in the chosen format."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from unspin.lexicon.format import LexiconError
from unspin.restoring.edits import Restoration, count_words, join_restorations, mean_rates, spin_summary
from unspin.restoring.output import OutputFormat, render
from unspin.restoring.scoring.models import ModelError
from unspin.sources import InputError, check_text_file, expand_inputs, open_lines, read_stdin

if TYPE_CHECKING:
    from unspin.restoring.pipeline import Restorer

SETUP_ERRORS = (LexiconError, ModelError)


# Files this small are read whole and restored several at a time (``Restorer.restore_many``):
# a model call costs nearly as much for one paragraph as for a batch of them.
BATCH_CHARACTERS = 20_000


def restore_paths(paths: Sequence[str], output: str | None, output_format: OutputFormat,
                  progress: bool = True, skip_existing: bool = False, **options: Any) -> None:
    """Restore each input; ``output`` is a folder (created if needed) for several inputs, for a
    folder input (whatever it holds) and when it is an existing folder, else a file.

    Each output is written to a temporary file beside it and renamed when complete, so an
    interrupted run leaves every output complete or absent; ``skip_existing`` skips the inputs
    whose output is already there (to resume such a run).
    """
    names = expand_inputs(list(paths))
    for name in names:
        if name != "-":
            check_text_file(name)
    several = len(names) > 1
    folder = bool(output) and (several or Path(output).is_dir()
                               or any(name != "-" and Path(name).is_dir() for name in paths))
    if output:
        _check_output(Path(output), folder)
    elif skip_existing:
        raise InputError("--skip-existing needs --output (the outputs it would find)")
    if skip_existing:
        names = [name for name in names if not _target(name, output, folder, output_format).exists()]
    options = {k: v for k, v in options.items() if v is not None}
    restorers: list[Restorer] = []
    files_bar = _files_progress(progress and several and _stderr_console().is_terminal, len(names))

    def restorer() -> Restorer:
        if not restorers:
            from unspin.restoring.pipeline import Restorer  # loads lexicons and, later, the model

            restorers.append(Restorer(progress=progress, **options))
            if files_bar.enabled:  # load the model now, while no bar of ours is live beside its own
                with files_bar.paused():
                    restorers[0].scorer  # noqa: B018
        return restorers[0]

    with files_bar as advance:
        for group in _groups(names):
            if len(group) == 1 and not _small(group[0]):
                name = group[0]
                with _output(name, output, several, folder, output_format) as out:
                    _restore_stream(None if _blank(name) else restorer(), _lines(name), out, output_format,
                                    progress and not several and _size(name) > 50_000)
            else:
                _restore_batch(group, restorer, output, several, folder, output_format)
            advance(len(group))


def _groups(names: Sequence[str]) -> Any:
    """Runs of small files (up to BATCH_CHARACTERS together), and every other input alone."""
    group: list[str] = []
    size = 0
    for name in names:
        if not _small(name):
            if group:
                yield group
                group, size = [], 0
            yield [name]
            continue
        name_size = _size(name)
        if group and size + name_size > BATCH_CHARACTERS:
            yield group
            group, size = [], 0
        group.append(name)
        size += name_size
    if group:
        yield group


def _small(name: str) -> bool:
    return name != "-" and _size(name) < BATCH_CHARACTERS


def _restore_batch(names: list[str], restorer: Any, output: str | None, several: bool, folder: bool,
                   output_format: OutputFormat) -> None:
    texts = ["".join(_lines(name)) for name in names]
    if any(text.strip() for text in texts):
        restorations = restorer().restore_many(texts)
    else:  # blank inputs: output equals input, no model needed
        restorations = [Restoration(text, text, [], {}) for text in texts]
    for name, restoration in zip(names, restorations):
        with _output(name, output, several, folder, output_format) as out:
            if output_format is OutputFormat.json and restoration.settings:
                _write_json([restoration], out, restorer())
            else:
                out.write(render(restoration, output_format, output_format is OutputFormat.diff and out.isatty()))


@contextmanager
def _output(name: str, output: str | None, several: bool, folder: bool,
            output_format: OutputFormat) -> Iterator[IO[str]]:
    """Where ``name``'s restoration goes: its file (``output`` or a file in it), or stdout under a
    header when there are several inputs."""
    target = _target(name, output, folder, output_format)
    if target is None:
        if several:
            sys.stdout.write(f"==> {name} <==\n")
        yield sys.stdout
        return
    with atomic_file(target) as out:
        yield out


@contextmanager
def atomic_file(target: Path) -> Iterator[IO[str]]:
    """A text file that appears at ``target`` only once complete: written beside it under a
    temporary name and renamed (``os.replace``), removed if anything (Ctrl-C included) stops it."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.part")
    # os.open with 0o666 lets the umask set the permissions, as for a plain open().
    handle = os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666), "w",
                       encoding="utf-8", newline="")
    try:
        with handle:
            yield handle
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _check_output(output: Path, folder: bool) -> None:
    """Fail before any work when the outputs cannot be written (a missing parent, a file where a
    folder must be, no permission)."""
    if folder:
        if output.exists() and not output.is_dir():
            raise InputError(f"{output}: a folder input or several inputs need a folder for --output, not a file")
        output.mkdir(parents=True, exist_ok=True)
        directory = output
    else:
        directory = output.parent
        if not directory.is_dir():
            raise InputError(f"{output}: cannot write, {directory} is not a folder")
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        raise InputError(f"{output}: cannot write there ({error.strerror or error})") from error


class _files_progress:
    """A rich progress bar over the input files, or nothing when it is off."""

    def __init__(self, enabled: bool, total: int):
        self.enabled, self.total, self._bar = enabled, total, None

    def __enter__(self) -> Any:
        if self.enabled:
            from rich.progress import Progress

            self._bar = Progress(transient=True, console=_stderr_console())
            self._bar.start()
            self._task = self._bar.add_task("restoring files", total=self.total)
        return lambda done: self._bar.advance(self._task, done) if self._bar is not None else None

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Stop the bar for a while (rich shows one live display at a time)."""
        if self._bar is not None:
            self._bar.stop()
        try:
            yield
        finally:
            if self._bar is not None:
                self._bar.start()


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
    if output_format is OutputFormat.html:  # one page for the whole input
        out.write(render(join_restorations(blocks), output_format))
        return
    for block in blocks:
        out.write(render(block, output_format, colour))
        out.flush()


def _write_json(blocks: Any, out: IO[str], restorer: Restorer) -> None:
    """One JSON document for the whole input, offsets counted from its start."""
    texts, edits, offset, words, rates = [], [], 0, 0, []
    for block in blocks:
        texts.append(block.text)
        edits += [edit.shifted(offset) for edit in block.edits]
        offset += len(block.source)
        words += count_words(block.source)
        rates.append((len(block.source), block.spin_rates))
    source_free = Restoration("", "".join(texts), edits, restorer.settings.as_dict())
    data = {**source_free.to_dict(), "spin": spin_summary(words, edits, mean_rates(rates))}
    out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


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


def _target(name: str, output: str | None, folder: bool, output_format: OutputFormat) -> Path | None:
    if not output:
        return None
    if not folder:
        return Path(output)
    suffix = {OutputFormat.json: ".json", OutputFormat.html: ".html"}.get(output_format, "")
    return Path(output) / (Path(name).name + suffix)


__all__ = ["restore_paths", "atomic_file", "SETUP_ERRORS", "InputError"]
