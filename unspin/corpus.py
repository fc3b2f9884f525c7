"""Whole corpora on Ray Data: read in blocks, restore on a pool of actors, write each document once.

The pipeline is ``read`` (in blocks of about one batch) ``-> skip the ids already written ->
map_batches`` over a pool of actors, each holding one :class:`~unspin.Restorer` (the model is
loaded once per actor) and calling ``restore_many`` on each batch. Ray restarts an actor that dies
and retries its batch, so a lost worker loses no document.

The driver writes the output: ``OUTPUT`` (``name.jsonl`` or ``name.parquet``) is a folder of part
files, each written under a temporary name and renamed into place once complete, so a killed run
leaves only complete rows. A re-run onto the same output reads the ids its parts hold and restores
only the others; the driver also drops any id it has already written, so every document appears
exactly once.

Ray is an optional dependency (``pip install 'unspin[ray]'``); this module imports it only when a
corpus is restored.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import resource
import socket
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unspin.restoring.edits import Restoration
from unspin.sources import InputError, check_text_file

logger = logging.getLogger(__name__)

FORMATS = ("jsonl", "parquet")
PART_ROWS = 1_000  # a part is written once this many rows are waiting ...
PART_SECONDS = 60.0  # ... or this long after the previous one, so a killed run loses little work
FAIL_ONCE_ENV = "UNSPIN_CORPUS_FAIL_ONCE"  # tests: the first batch's actor exits once (marker file path)
_TEMPORARY_PREFIX = ".part-"


class CorpusError(RuntimeError):
    """The run could not complete (Ray missing or failing, an output that does not match the input)."""


@dataclass(frozen=True)
class Corpus:
    """A checked input: its kind (``text``, ``jsonl`` or ``parquet``), files and document ids in order."""

    kind: str
    paths: list[str]
    ids: list[str]


@dataclass
class WorkerStats:
    """One actor's figures: model load time and peak resident memory, batches and documents restored."""

    worker: str
    load_seconds: float
    peak_rss_bytes: int
    batches: int = 0
    documents: int = 0
    restore_seconds: float = 0.0
    ready_at: float = 0.0  # wall-clock time (time.time()) the model was loaded
    last_batch_at: float = 0.0  # ... and the last batch was restored
    cpu_seconds: float = 0.0  # the actor process's CPU time (all its threads) from then to its last batch


@dataclass
class CorpusSummary:
    """What a run did: documents in the input, already in the output (skipped), restored now."""

    total: int
    skipped: int
    restored: int
    parts: list[str] = field(default_factory=list)
    workers: dict[str, WorkerStats] = field(default_factory=dict)
    duplicates_dropped: int = 0
    seconds: float = 0.0


# --- input ---------------------------------------------------------------------------------


def scan_corpus(path: str | Path) -> Corpus:
    """Check an input before any work: every document has an id and a text, and no id repeats.

    ``path`` is a folder of ``.txt`` files (the id is the file name), a JSON Lines file of
    ``{"id": ..., "text": ...}`` objects, a Parquet file with ``id`` and ``text`` columns, or a
    folder of ``.jsonl`` or ``.parquet`` files. Ids are strings (integer ids are written as their
    decimal strings). Raises :class:`~unspin.sources.InputError` with a one-line message.
    """
    path = Path(path)
    if path.is_dir():
        texts = sorted(p for p in path.glob("*.txt") if p.is_file())
        if texts:
            for file in texts:
                check_text_file(str(file))
            return Corpus("text", [str(p.resolve()) for p in texts], [p.name for p in texts])
        for kind, patterns in (("parquet", ("*.parquet",)), ("jsonl", ("*.jsonl", "*.json"))):
            files = sorted(p for pattern in patterns for p in path.glob(pattern) if p.is_file())
            if files:
                return _scan_files(kind, files)
        raise InputError(f"{path}: a folder with no .txt, .jsonl or .parquet files")
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.suffix == ".parquet":
        return _scan_files("parquet", [path])
    if path.suffix in (".jsonl", ".json"):
        return _scan_files("jsonl", [path])
    raise InputError(f"{path}: the input must be a folder of .txt files, a .jsonl or a .parquet file")


def _scan_files(kind: str, files: list[Path]) -> Corpus:
    seen: dict[str, str] = {}  # id -> where it was first met
    scan = _jsonl_ids if kind == "jsonl" else _parquet_ids
    for file in files:
        for doc_id, where in scan(file):
            first = seen.setdefault(doc_id, where)
            if first is not where:
                raise InputError(f"{where}: duplicate id {doc_id!r} (first at {first})")
    return Corpus(kind, [str(p.resolve()) for p in files], list(seen))


def _jsonl_ids(path: Path) -> Iterator[tuple[str, str]]:
    try:
        with open(path, "rb") as handle:  # lines end at b"\n" only, as the workers split them
            for number, raw in enumerate(handle, 1):
                where = f"{path}:{number}"
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise InputError(f"{where}: not valid UTF-8") from error
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    raise InputError(f"{where}: not valid JSON ({error.msg})") from error
                if not isinstance(record, dict):
                    raise InputError(f"{where}: not a JSON object")
                if not isinstance(record.get("text"), str):
                    raise InputError(f"{where}: missing text (\"text\" must be a string)")
                yield _checked_id(record.get("id"), where), where
    except OSError as error:
        raise InputError(f"{path}: {error.strerror or error}") from error


def _parquet_ids(path: Path) -> Iterator[tuple[str, str]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as error:
        raise InputError(f"{path}: not a readable Parquet file ({error})") from error
    names = handle.schema_arrow.names
    for column in ("id", "text"):
        if column not in names:
            raise InputError(f"{path}: no {column!r} column (it has {', '.join(names)})")
    if not pa.types.is_string(handle.schema_arrow.field("text").type) and not pa.types.is_large_string(
            handle.schema_arrow.field("text").type):
        raise InputError(f"{path}: the 'text' column must hold strings")
    row = 0
    for group in range(handle.num_row_groups):
        table = handle.read_row_group(group, columns=["id", "text"])
        texts = table.column("text")
        if texts.null_count:
            missing = texts.to_pylist().index(None)
            raise InputError(f"{path}: row {row + missing}: missing text")
        for offset, value in enumerate(table.column("id").to_pylist()):
            yield _checked_id(value, f"{path}: row {row + offset}"), f"{path}: row {row + offset}"
        row += table.num_rows


def _checked_id(value: Any, where: str) -> str:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise InputError(f"{where}: missing id (an id is a non-empty string or an integer)")


# --- output --------------------------------------------------------------------------------


def output_format(output: str | Path) -> str:
    """``jsonl`` or ``parquet``, from the output's suffix."""
    suffix = Path(output).suffix.lstrip(".")
    if suffix not in FORMATS:
        raise InputError(f"{output}: the output must end in .jsonl or .parquet (it is a folder of part files)")
    return suffix


def corpus_row(doc_id: str, restoration: Restoration) -> dict[str, Any]:
    """One output row: id, restored text, edits, spin rates, settings (with the lexicons' hashes)."""
    return {
        "id": doc_id,
        "text": restoration.text,
        "edits": [{"start": e.start, "end": e.end, "original": e.original, "replacement": e.replacement,
                   "confidence": e.confidence, "lexicon": e.lexicon} for e in restoration.edits],
        "spin_rates": dict(restoration.spin_rates),
        "settings": restoration.settings,
    }


def part_files(output: str | Path) -> list[Path]:
    """The complete part files of an output folder, in name order."""
    folder = Path(output)
    if not folder.is_dir():
        return []
    suffix = "." + output_format(folder)
    return sorted(p for p in folder.iterdir() if p.name.startswith("part-") and p.name.endswith(suffix))


def read_output(output: str | Path) -> Iterator[dict[str, Any]]:
    """The rows of a corpus output (either format) as plain dicts, part by part."""
    for part in part_files(output):
        yield from _part_rows(part)


def _part_rows(part: Path, columns: list[str] | None = None) -> Iterator[dict[str, Any]]:
    if part.suffix == ".jsonl":
        with open(part, encoding="utf-8") as handle:
            yield from (json.loads(line) for line in handle if line.strip())
        return
    import pyarrow.parquet as pq

    for row in pq.read_table(part, columns=columns).to_pylist():
        if "spin_rates" in row:
            row["spin_rates"] = dict(row["spin_rates"])  # Arrow maps come back as (key, value) pairs
        yield row


def written_ids(output: str | Path) -> tuple[set[str], dict[str, Any] | None]:
    """The ids already in ``output`` and the settings they were restored with (``None`` when empty)."""
    ids: set[str] = set()
    settings = None
    for part in part_files(output):
        for row in _part_rows(part, ["id", "settings"]):
            ids.add(row["id"])
            if settings is None:
                settings = row["settings"]
    return ids, settings


class _PartWriter:
    """Writes rows into complete part files: a temporary name, fsync, then an atomic rename."""

    def __init__(self, output: Path, kind: str):
        self.output, self.kind = output, kind
        self.run = uuid.uuid4().hex[:8]
        self.parts: list[str] = []
        output.mkdir(parents=True, exist_ok=True)
        for stale in output.glob(_TEMPORARY_PREFIX + "*"):  # left by a killed run: incomplete
            stale.unlink()

    def write(self, rows: list[str]) -> None:
        if not rows:
            return
        name = f"part-{self.run}-{len(self.parts):05d}.{self.kind}"
        temporary = self.output / (_TEMPORARY_PREFIX + name)
        if self.kind == "jsonl":
            with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
                handle.write("".join(row + "\n" for row in rows))
                handle.flush()
                os.fsync(handle.fileno())
        else:
            import pyarrow.parquet as pq

            pq.write_table(_arrow_table([json.loads(row) for row in rows]), temporary)
            with open(temporary, "rb") as handle:
                os.fsync(handle.fileno())
        os.replace(temporary, self.output / name)
        directory = os.open(self.output, os.O_RDONLY)
        try:  # the rename itself reaches the disk
            os.fsync(directory)
        finally:
            os.close(directory)
        self.parts.append(name)


def _arrow_table(rows: list[dict[str, Any]]) -> Any:
    import pyarrow as pa

    edit = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("original", pa.string()),
                      ("replacement", pa.string()), ("confidence", pa.float64()), ("lexicon", pa.string())])
    settings = pa.array([rows[0]["settings"]]).type  # every row of a run shares its settings
    schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("edits", pa.list_(edit)),
                        ("spin_rates", pa.map_(pa.string(), pa.float64())), ("settings", settings)])
    return pa.Table.from_pylist(rows, schema=schema)


# --- the Ray pipeline ------------------------------------------------------------------------


@dataclass(frozen=True)
class RestorerOptions:
    """What each actor builds its Restorer from (plain values: they travel to the workers)."""

    model: str | None = None
    lexicons: tuple[str, ...] | None = None
    threshold: float | None = None
    exclude: str | None = None
    dtype: str | None = None

    def restorer_arguments(self) -> dict[str, Any]:
        arguments: dict[str, Any] = {"lexicons": list(self.lexicons) if self.lexicons else None,
                                     "exclude": self.exclude}
        if self.threshold is not None:
            arguments["threshold"] = self.threshold
        return arguments


class RestoreActor:
    """A Ray actor's callable: one Restorer (model loaded at start), ``restore_many`` per batch."""

    def __init__(self, options: RestorerOptions, threads: int = 1, fail_once: str | None = None):
        started = time.perf_counter()
        import torch

        from unspin.restoring.pipeline import Restorer
        from unspin.restoring.scoring.loading import load_scorer

        torch.set_num_threads(threads)
        self.restorer = Restorer(scorer=load_scorer(options.model, dtype=options.dtype),
                                 **options.restorer_arguments())
        self.fail_once = fail_once
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self.load_seconds = time.perf_counter() - started
        self.ready_at, self.ready_cpu = time.time(), time.process_time()
        self.batches = 0

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        if self.fail_once and _claim(self.fail_once):
            os._exit(1)  # a worker lost mid-run (tests): Ray restarts the actor and retries the batch
        ids = batch.column("id").to_pylist()
        started = time.perf_counter()
        restorations = self.restorer.restore_many(batch.column("text").to_pylist())
        self.batches += 1
        stats = json.dumps({"worker": self.worker, "load_seconds": self.load_seconds, "documents": len(ids),
                            "batches": self.batches, "ready_at": self.ready_at, "finished_at": time.time(),
                            "cpu_seconds": time.process_time() - self.ready_cpu,
                            "peak_rss_bytes": _peak_rss_bytes(), "seconds": time.perf_counter() - started})
        rows = [_json_line(corpus_row(doc_id, restoration)) for doc_id, restoration in zip(ids, restorations)]
        return pa.table({"id": pa.array(ids, pa.string()), "row": pa.array(rows, pa.string()),
                         "stats": pa.array([stats] * len(ids), pa.string())})


def _json_line(row: dict[str, Any]) -> str:
    """A row as one line of JSON: UTF-8 as it is, but the characters that ``str.splitlines`` (and
    JavaScript) take for line breaks escaped, so that every reader sees one row a line."""
    return json.dumps(row, ensure_ascii=False).translate(_LINE_BREAKS)


_LINE_BREAKS = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}


def _claim(marker: str) -> bool:
    """True for the first caller only (the marker file is created atomically)."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def _documents_table(ids: list[str], texts: list[str], done: frozenset[str]) -> Any:
    import pyarrow as pa

    keep = [n for n, doc_id in enumerate(ids) if doc_id not in done]
    if len(keep) < len(ids):
        ids, texts = [ids[n] for n in keep], [texts[n] for n in keep]
    return pa.table({"id": pa.array(ids, pa.string()), "text": pa.array(texts, pa.string())})


def _jsonl_documents(table: Any, done: frozenset[str]) -> Any:
    """A block of JSON Lines (a line a row) as ids and texts, less the ``done`` ids."""
    records = [json.loads(line) for line in table.column("text").to_pylist()]
    return _documents_table([_checked_id(r.get("id"), "input") for r in records], [r["text"] for r in records],
                            done)


def _text_documents(table: Any, done: frozenset[str]) -> Any:
    """Files read as bytes: ids (file names) and texts (decoded exactly, line endings kept)."""
    return _documents_table([os.path.basename(p) for p in table.column("path").to_pylist()],
                            [b.decode("utf-8") for b in table.column("bytes").to_pylist()], done)


def _parquet_documents(table: Any, done: frozenset[str]) -> Any:
    return _documents_table([_checked_id(value, "input") for value in table.column("id").to_pylist()],
                            table.column("text").to_pylist(), done)


def build_dataset(corpus: Corpus, done: set[str], options: RestorerOptions, workers: int, batch_size: int,
                  threads: int = 1, fail_once: str | None = None) -> Any:
    """The Ray Data pipeline: read, skip ``done``, batches of ``batch_size``, restore on ``workers`` actors."""
    import ray.data

    # Reading and parsing are light (num_cpus=0): the actors hold the cores. Blocks of about one
    # batch each, so that the actors share the work batch by batch.
    light: dict[str, Any] = {"num_cpus": 0}
    todo = len(corpus.ids) - len(done)
    blocks = {"override_num_blocks": max(1, -(-todo // batch_size))}
    if corpus.kind == "text":  # the ids are the file names: skip the done ones before reading
        paths = [p for p, doc_id in zip(corpus.paths, corpus.ids) if doc_id not in done]
        dataset = ray.data.read_binary_files(paths, include_paths=True, **light, **blocks)
        parse, done = _text_documents, set()
    elif corpus.kind == "jsonl":
        dataset, parse = ray.data.read_datasource(_json_lines(corpus.paths), **light, **blocks), _jsonl_documents
    else:
        dataset, parse = _read_parquet(corpus.paths, **light, **blocks), _parquet_documents
    dataset = dataset.map_batches(parse, batch_format="pyarrow", fn_kwargs={"done": frozenset(done)}, **light)
    # Ray Data restarts an actor pool's dead actors and retries their batches (max_restarts and
    # max_task_retries default to -1 for actor pools): a lost worker loses no document.
    return dataset.map_batches(
        RestoreActor, fn_constructor_args=(options, threads, fail_once), batch_size=batch_size,
        batch_format="pyarrow", compute=ray.data.ActorPoolStrategy(size=workers, max_tasks_in_flight_per_actor=1),
        num_cpus=threads)


def _json_lines(paths: list[str]) -> Any:
    """A datasource of JSON Lines files, a row a line. (``read_text`` splits lines as ``str.splitlines``
    does, also at U+2028, U+2029 and U+0085, which JSON strings may hold as they are.)"""
    from ray.data.datasource import FileBasedDatasource

    class JsonLines(FileBasedDatasource):
        def _read_stream(self, f: Any, path: str) -> Iterator[Any]:
            import pyarrow as pa

            lines = [line for line in f.readall().decode("utf-8").split("\n") if line.strip()]
            yield pa.table({"text": pa.array(lines, pa.string())})

    return JsonLines(paths)


def _read_parquet(paths: list[str], **options: Any) -> Any:
    """``read_parquet`` through Ray Data's first datasource: its read tasks take ``num_cpus`` as given,
    while the newer one lists files in a task of one CPU, which never runs while the actors hold them all."""
    import ray.data

    context = ray.data.DataContext.get_current()
    newer, context.use_datasource_v2 = context.use_datasource_v2, False
    try:
        return ray.data.read_parquet(paths, columns=["id", "text"], **options)
    finally:
        context.use_datasource_v2 = newer


def restore_corpus(input_path: str | Path, output: str | Path, *, address: str | None = None, workers: int = 2,
                   batch_size: int = 16, threads: int = 1, model: str | None = None,
                   lexicons: Sequence[str | Path] | None = None, threshold: float | None = None,
                   exclude: str | Path | None = None, dtype: str | None = None, progress: bool = False,
                   part_rows: int = PART_ROWS, part_seconds: float = PART_SECONDS) -> CorpusSummary:
    """Restore every document of ``input_path`` into ``output`` once, on Ray (see the module docstring).

    Without ``address`` a local Ray with ``workers * threads`` CPUs is started (and stopped after);
    with it the run joins that cluster (``"auto"``: the one this machine belongs to). When Ray is
    already initialised in this process, that session is used as it is.
    """
    started = time.perf_counter()
    if importlib.util.find_spec("ray") is None or importlib.util.find_spec("pyarrow") is None:
        raise CorpusError("restore-corpus needs Ray Data and pyarrow: pip install 'unspin[ray]'")
    if workers < 1 or batch_size < 1 or threads < 1:
        raise InputError("--workers, --batch-size and --threads must be at least 1")
    kind = output_format(output)
    output = Path(output)
    if output.exists() and not output.is_dir():
        raise InputError(f"{output}: exists and is not a folder (the output is a folder of part files)")
    corpus = scan_corpus(input_path)
    options = RestorerOptions(
        model=model or os.environ.get("UNSPIN_MODEL") or None,
        lexicons=tuple(_portable(name) for name in lexicons) if lexicons else None,
        threshold=None if threshold is None else float(threshold), exclude=_portable(exclude) if exclude else None,
        dtype=dtype)
    expected = _expected_settings(options)  # loads the lexicons: a bad name fails here, before Ray starts
    done, previous = written_ids(output)
    if previous is not None:
        _check_same_settings(output, previous, expected)
    unknown = done.difference(corpus.ids)
    if unknown:
        raise InputError(f"{output}: holds {len(unknown)} ids not in the input (e.g. {min(unknown)!r}); "
                         "use a new output folder")
    todo = [doc_id for doc_id in corpus.ids if doc_id not in done]
    summary = CorpusSummary(total=len(corpus.ids), skipped=len(done), restored=0)
    writer = _PartWriter(output, kind)
    if not todo:
        logger.info("%s: all %d documents are already restored", output, len(done))
        summary.seconds = time.perf_counter() - started
        return summary
    fail_once = os.environ.get(FAIL_ONCE_ENV) or None
    with _ray_session(address, workers * threads), _Progress(progress, len(todo)) as advance:
        dataset = build_dataset(corpus, done, options, workers, batch_size, threads, fail_once)
        try:
            _collect(dataset, set(done), writer, summary, advance, part_rows, part_seconds)
        except Exception as error:
            if not type(error).__module__.startswith("ray"):
                raise
            raise CorpusError(f"the run stopped after {summary.restored} documents (kept in {output}; run again "
                              f"to resume): {_first_line(error)}") from error
    summary.parts = writer.parts
    summary.seconds = time.perf_counter() - started
    missing = len(todo) - summary.restored
    if missing:
        raise CorpusError(f"{missing} documents did not come back from the workers; run again to resume")
    return summary


def _collect(dataset: Any, written: set[str], writer: _PartWriter, summary: CorpusSummary, advance: Any,
             part_rows: int, part_seconds: float) -> None:
    """Stream the restored rows into parts; each id is written once, whatever Ray delivers twice."""
    waiting: list[str] = []
    last = time.monotonic()
    try:
        for batch in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
            fresh = 0
            columns = (batch.column(name).to_pylist() for name in ("id", "row", "stats"))
            for doc_id, row, stats in zip(*columns):
                if doc_id in written:
                    summary.duplicates_dropped += 1
                    continue
                written.add(doc_id)
                waiting.append(row)
                fresh += 1
                _count(summary, json.loads(stats))
            summary.restored += fresh
            advance(fresh)
            if len(waiting) >= part_rows or time.monotonic() - last >= part_seconds:
                writer.write(waiting)
                waiting, last = [], time.monotonic()
    finally:  # what came back complete is kept, also when the run stops early
        writer.write(waiting)


def _first_line(error: BaseException) -> str:
    """The worker's own error line (``module.Error: message``) out of Ray's wrapped report, on one line."""
    lines: list[str] = []
    seen: BaseException | None = error
    while seen is not None:
        lines += [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in str(seen).splitlines()]
        seen = seen.__cause__ or seen.__context__
    errors = [line for line in lines if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\b.*: ", line)]
    return errors[-1] if errors else next((line for line in lines if line), type(error).__name__)


def _count(summary: CorpusSummary, stats: dict[str, Any]) -> None:
    worker = summary.workers.get(stats["worker"])
    if worker is None:
        worker = summary.workers[stats["worker"]] = WorkerStats(stats["worker"], stats["load_seconds"], 0,
                                                                ready_at=stats["ready_at"])
    worker.peak_rss_bytes = max(worker.peak_rss_bytes, stats["peak_rss_bytes"])
    worker.documents += 1
    worker.batches = max(worker.batches, stats["batches"])
    worker.last_batch_at = max(worker.last_batch_at, stats["finished_at"])
    worker.cpu_seconds = max(worker.cpu_seconds, stats["cpu_seconds"])
    worker.restore_seconds += stats["seconds"] / stats["documents"]


class _ray_session:
    """Ray for the run: the session already open in this process, a cluster at ``address``, or a local one."""

    def __init__(self, address: str | None, cpus: int):
        self.address, self.cpus, self.started = address, cpus, False

    def __enter__(self) -> None:
        try:
            import ray
            import ray.data
        except ImportError as error:
            raise CorpusError("restore-corpus needs Ray: pip install 'unspin[ray]'") from error
        if not ray.is_initialized():
            try:
                if self.address:
                    ray.init(address=self.address, logging_level=logging.ERROR, log_to_driver=False)
                else:
                    ray.init(num_cpus=self.cpus, include_dashboard=False, logging_level=logging.ERROR,
                             log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as error:
                raise CorpusError(f"cannot start or join Ray ({self.address or 'local'}): "
                                  f"{str(error).splitlines()[0]}") from error
            self.started = True
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # ours counts documents
        context.print_on_execution_start = False

    def __exit__(self, *exc: object) -> None:
        if self.started:
            import ray

            ray.shutdown()


class _Progress:
    """A rich progress bar on stderr: documents done, total, elapsed and remaining time."""

    def __init__(self, enabled: bool, total: int):
        self.enabled, self.total, self._bar = enabled, total, None

    def __enter__(self) -> Any:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(TextColumn("restoring"), BarColumn(), MofNCompleteColumn(), TextColumn("documents,"),
                                 TimeElapsedColumn(), TextColumn("elapsed,"), TimeRemainingColumn(), TextColumn("left"),
                                 console=Console(stderr=True), transient=False)
            self._bar.start()
            self._task = self._bar.add_task("restoring", total=self.total)
        return lambda done: self._bar.advance(self._task, done) if self._bar is not None else None

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def _portable(name: str | Path) -> str:
    """A lexicon or word-list file as an absolute path (workers may run elsewhere); names stay names."""
    path = Path(name)
    return str(path.resolve()) if path.exists() else str(name)


def _expected_settings(options: RestorerOptions) -> dict[str, Any]:
    from unspin.lexicon.format import LexiconError
    from unspin.restoring.pipeline import Restorer

    try:
        return Restorer(model=options.model, **options.restorer_arguments()).settings.as_dict()
    except LexiconError as error:
        raise InputError(str(error)) from error


def _check_same_settings(output: Path, previous: dict[str, Any], expected: dict[str, Any]) -> None:
    """A resumed output must have been restored with the same lexicons, threshold and beam."""
    for key, value in expected.items():
        # The model's name, and the proposals' table (on with a causal model), are known once a worker loads it.
        if key not in ("model", "proposals") and previous.get(key) != value:
            raise InputError(f"{output}: was restored with {key} {previous.get(key)!r}, this run has {value!r}; "
                             "use a new output folder")
