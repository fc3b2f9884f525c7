"""Corpus benchmark: documents per second in one process against Ray Data on the same cores.

Builds ``--documents`` news-like documents from the spun seed's paragraphs (read at run time from
../shared/seeds; each document is ``--paragraphs`` consecutive paragraphs) and restores them

1. in one process (a fresh Python, with no Ray running): ``Restorer.restore_many`` over batches of
   ``--batch-size`` documents, with torch on ``--workers`` threads (model load timed apart);
2. with ``restore_corpus`` on a local Ray with ``--workers`` CPUs: as many actors, one thread each,
   the same batches (Ray start, actor start and model load timed apart).

Reported: documents per second end to end and once the models are loaded (the Ray overhead is the
ratio of the two steady-state spans, target <= 10 %; also in CPU time, all threads of the processes
that restore, which a machine shared with other work does not skew), each worker's model load time
and peak resident memory, and the driver's own capacity (checking input ids, writing output rows). From
those, on paper: the time to restore one million news articles on N workers, and where the scaling
stops. Rounds (``--rounds``) alternate the two so that the machine's drift hits both.

Usage::

    python benchmarks/corpus.py [--documents 40] [--paragraphs 3] [--workers 2] [--batch-size 4]
                                [--rounds 1] [--model M] [--article-characters 4000] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" if (ROOT.parent / "shared").is_dir() else Path("/work/shared")
sys.path.insert(0, str(ROOT))


def seed_documents(count: int, paragraphs: int) -> dict[str, str]:
    """``count`` documents of ``paragraphs`` consecutive seed paragraphs each (wrapping around)."""
    from unspin.text.tokens import split_paragraphs

    seed = next((SHARED / "seeds").glob("001_*.txt")).read_text(encoding="utf-8")
    parts = [p.text for p in split_paragraphs(seed)]
    return {f"doc{n:05d}": "\n\n".join(parts[(n * 5 + k) % len(parts)] for k in range(paragraphs)) + "\n"
            for n in range(count)}


def single_process(documents: dict[str, str], threads: int, batch_size: int, model: str | None) -> dict:
    import torch

    from unspin import Restorer

    torch.set_num_threads(threads)
    started = time.perf_counter()
    restorer = Restorer(model=model)
    restorer.scorer  # noqa: B018  (load the model now, timed apart)
    loaded = time.perf_counter()
    texts = list(documents.values())
    edits = 0
    cpu = time.process_time()
    for begin in range(0, len(texts), batch_size):
        edits += sum(len(r.edits) for r in restorer.restore_many(texts[begin : begin + batch_size]))
    finished = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"load_seconds": loaded - started, "restore_seconds": finished - loaded, "edits": edits,
            "cpu_seconds": time.process_time() - cpu, "wall_seconds": finished - started, "peak_rss_mb": peak_mb}


def single_process_apart(args: argparse.Namespace) -> dict:
    """``single_process`` in a fresh Python (no Ray threads or processes beside it, its own peak RSS).

    It runs in a session of its own, as Ray's workers do: with Linux's autogroup scheduling each
    session gets an equal share of a busy machine, so a process in the benchmark's session would get less.
    """
    command = [sys.executable, __file__, "--single", "--documents", str(args.documents), "--paragraphs",
               str(args.paragraphs), "--workers", str(args.workers), "--batch-size", str(args.batch_size)]
    if args.model:
        command += ["--model", args.model]
    done = subprocess.run(command, check=True, capture_output=True, text=True, start_new_session=True)
    return json.loads(done.stdout.splitlines()[-1])


def ray_run(corpus_file: Path, output: Path, workers: int, batch_size: int, model: str | None) -> dict:
    from unspin.corpus import read_output, restore_corpus

    started = time.perf_counter()
    summary = restore_corpus(corpus_file, output, workers=workers, batch_size=batch_size, model=model)
    wall = time.perf_counter() - started
    stats = list(summary.workers.values())
    span = max(w.last_batch_at for w in stats) - min(w.ready_at for w in stats)
    return {"wall_seconds": wall, "steady_seconds": span, "restored": summary.restored,
            "cpu_seconds": sum(w.cpu_seconds for w in stats),
            "edits": sum(len(row["edits"]) for row in read_output(output)),
            "workers": [{"load_seconds": w.load_seconds, "peak_rss_mb": w.peak_rss_bytes / 2**20,
                         "documents": w.documents, "batches": w.batches, "busy_seconds": w.restore_seconds}
                        for w in stats]}


def driver_capacity(rows: list[dict], documents: dict[str, str], folder: Path, copies: int = 20_000) -> dict:
    """Rows per second the driver writes (either format) and input documents per second it checks."""
    from unspin.corpus import _PartWriter, scan_corpus

    lines = [json.dumps({**rows[n % len(rows)], "id": f"r{n}"}, ensure_ascii=False) for n in range(copies)]
    figures = {}
    for kind in ("jsonl", "parquet"):
        writer = _PartWriter(folder / f"capacity.{kind}", kind)
        started = time.perf_counter()
        for begin in range(0, copies, 1_000):
            writer.write(lines[begin : begin + 1_000])
        figures[f"write_{kind}_rows_per_second"] = copies / (time.perf_counter() - started)
    texts = list(documents.values())
    jsonl = folder / "capacity-input.jsonl"
    with open(jsonl, "w", encoding="utf-8") as handle:
        for n in range(copies):
            handle.write(json.dumps({"id": f"d{n}", "text": texts[n % len(texts)]}, ensure_ascii=False) + "\n")
    started = time.perf_counter()
    scan_corpus(jsonl)
    seconds = time.perf_counter() - started
    figures["check_input_documents_per_second"] = copies / seconds
    figures["check_input_mb_per_second"] = jsonl.stat().st_size / 2**20 / seconds
    return figures


def on_paper(per_worker_chars: float, load_seconds: float, ray_start: float, capacity: dict,
             article_characters: int, articles: int = 1_000_000) -> list[str]:
    """One million articles on N workers, from the measured rates; where the scaling stops."""
    per_worker_docs = per_worker_chars / article_characters
    check = articles / capacity["check_input_documents_per_second"]
    write_limit = min(capacity["write_jsonl_rows_per_second"], capacity["write_parquet_rows_per_second"])
    lines = [f"per worker: {per_worker_chars:,.0f} characters/s = {per_worker_docs:.3f} articles/s "
             f"of {article_characters:,} characters",
             f"fixed costs: input check on the driver {check / 60:.1f} min (serial, before any work), "
             f"Ray start {ray_start:.0f} s, model load {load_seconds:.0f} s per worker (in parallel)"]
    for workers in (1, 16, 64, 256, 1024, 4096):
        restore = articles / (per_worker_docs * workers)
        lines.append(f"  {workers:>5} workers: {(restore + check + ray_start + load_seconds) / 3600:9.1f} h"
                     f"  (restoring {restore / 3600:.1f} h)")
    lines.append(f"the driver writes {write_limit:,.0f} rows/s: it is the bottleneck past "
                 f"{write_limit / per_worker_docs:,.0f} workers")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=40)
    parser.add_argument("--paragraphs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--model", default=None)
    parser.add_argument("--article-characters", type=int, default=4_000,
                        help="length of a news article for the one-million projection")
    parser.add_argument("--json", default=None, help="also write the figures here")
    parser.add_argument("--single", action="store_true", help=argparse.SUPPRESS)  # the one-process run, apart
    args = parser.parse_args()
    if args.single:
        print(json.dumps(single_process(seed_documents(args.documents, args.paragraphs), args.workers,
                                        args.batch_size, args.model)))
        return
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")

    import ray

    from unspin.corpus import read_output

    documents = seed_documents(args.documents, args.paragraphs)
    characters = sum(len(text) for text in documents.values())
    print(f"{len(documents)} documents, {characters:,} characters ({characters / len(documents):,.0f} each); "
          f"{args.workers} workers vs one process on {args.workers} threads; batches of {args.batch_size}; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    figures: dict = {"documents": len(documents), "characters": characters, "workers": args.workers,
                     "batch_size": args.batch_size, "single": [], "ray": []}
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        corpus_file = folder / "corpus.jsonl"
        corpus_file.write_text("".join(json.dumps({"id": k, "text": v}, ensure_ascii=False) + "\n"
                                       for k, v in documents.items()), encoding="utf-8")
        figures["ray_start_seconds"] = []
        for round_number in range(args.rounds):
            single = single_process_apart(args)
            figures["single"].append(single)
            print(f"round {round_number + 1}: one process: load {single['load_seconds']:.1f} s, restore "
                  f"{single['restore_seconds']:.1f} s = {len(documents) / single['restore_seconds']:.3f} docs/s "
                  f"(CPU {single['cpu_seconds']:.1f} s; {single['edits']} edits), peak RSS "
                  f"{single['peak_rss_mb']:.0f} MB", flush=True)
            # Ray runs only for its own rounds, so that its processes do not share the machine with the other.
            started = time.perf_counter()
            ray.init(num_cpus=args.workers, include_dashboard=False, logging_level=logging.ERROR,
                     log_to_driver=False)
            figures["ray_start_seconds"].append(time.perf_counter() - started)
            logging.getLogger("ray.data").setLevel(logging.CRITICAL)
            run = ray_run(corpus_file, folder / f"out-{round_number}.jsonl", args.workers, args.batch_size,
                          args.model)
            ray.shutdown()
            figures["ray"].append(run)
            loads = ", ".join(f"{w['load_seconds']:.1f}" for w in run["workers"])
            rss = ", ".join(f"{w['peak_rss_mb']:.0f}" for w in run["workers"])
            spread = ", ".join(f"{w['documents']} docs in {w['batches']} batches" for w in run["workers"])
            print(f"round {round_number + 1}: Ray: wall {run['wall_seconds']:.1f} s (model loads {loads} s), "
                  f"steady {run['steady_seconds']:.1f} s = {len(documents) / run['steady_seconds']:.3f} docs/s "
                  f"(CPU {run['cpu_seconds']:.1f} s; {run['edits']} edits); workers: {spread}; peak RSS {rss} MB; "
                  f"against one process: wall {run['steady_seconds'] / single['restore_seconds'] - 1:+.1%}, "
                  f"CPU {run['cpu_seconds'] / single['cpu_seconds'] - 1:+.1%}", flush=True)
        rows = list(read_output(folder / "out-0.jsonl"))
        figures["driver"] = driver_capacity(rows, documents, folder)
    single_best = min(r["restore_seconds"] for r in figures["single"])
    ray_best = min(r["steady_seconds"] for r in figures["ray"])
    overheads = [r["steady_seconds"] / s["restore_seconds"] - 1 for s, r in zip(figures["single"], figures["ray"])]
    cpu_overheads = [r["cpu_seconds"] / s["cpu_seconds"] - 1 for s, r in zip(figures["single"], figures["ray"])]
    figures["overhead_best"] = ray_best / single_best - 1
    figures["overhead_median"] = statistics.median(overheads)
    figures["cpu_overhead_median"] = statistics.median(cpu_overheads)
    driver = figures["driver"]
    ray_start = max(figures["ray_start_seconds"])
    print(f"Ray start {ray_start:.1f} s; steady-state overhead: best against best "
          f"{figures['overhead_best']:+.1%}, median of rounds {figures['overhead_median']:+.1%}; in CPU time, median "
          f"{figures['cpu_overhead_median']:+.1%} (target <= +10 %)")
    print(f"driver: writes {driver['write_jsonl_rows_per_second']:,.0f} JSONL / "
          f"{driver['write_parquet_rows_per_second']:,.0f} Parquet rows/s; checks "
          f"{driver['check_input_documents_per_second']:,.0f} input documents/s "
          f"({driver['check_input_mb_per_second']:.0f} MB/s)")
    loads = [w["load_seconds"] for r in figures["ray"] for w in r["workers"]]
    per_worker_chars = characters / (ray_best * args.workers)
    for line in on_paper(per_worker_chars, max(loads), ray_start, driver, args.article_characters):
        print(line)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
