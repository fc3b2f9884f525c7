"""Speed benchmark: unspin restore against one plain forward pass of the same model.

Measures, in one run on this machine:

1. model load time (reported apart);
2. the floor: one plain forward pass (logits included) of the model as transformers builds it
   over the spun seed, in sentence batches (after a warm-up pass); also the same pass with the
   activation the scorer runs in bfloat16 (the erf GELU for Gemma's tanh GELU);
3. ``Restorer.restore`` on the seed (after a warm-up on its first 2,000 characters), in
   ``--rounds`` rounds of floors and restore, and the ratio to the floor (target <= 3x): of the
   best runs, and the median of the rounds' ratios;
4. scaling: 4 concatenated copies of the seed against one, best of two interleaved runs each
   (target <= 4.4x);
5. memory: peak RSS of ``unspin restore`` on the seed, on a 10 MB file (sampled for
   ``--memory-seconds``: the streamed restore is bounded by its block size, so the peak is reached
   early) and on one line of 90,000 characters (the seed's text with its punctuation stripped,
   repeated: no sentence ends), each against the seed's peak (target <= 1.15x), with the long
   line's time against the seed's;
6. start-up: ``unspin --help`` and ``unspin restore`` on an empty file (target < 0.5 s);
7. many documents: the seed's paragraphs as separate texts, restored one at a time
   (``restore``) against together (``restore_many``), interleaved, two runs each.

Usage::

    python benchmarks/speed.py [--model M] [--rounds 5] [--skip-scaling] [--skip-many] [--skip-memory]
                               [--memory-seconds 60] [--only-memory]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" if (ROOT.parent / "shared").is_dir() else Path("/work/shared")
SEED = SHARED / "seeds" / "001_35735e4cfd2e3926.txt"


def forward_floor(scorer, text: str, batch_size: int = 16) -> float:
    """Seconds for one plain forward pass (with the vocabulary head) over ``text`` in sentence batches."""
    import torch

    from unspin.text.tokens import split_sentences

    sentences = [s.text for s in split_sentences(text)]
    tokenizer = scorer.tokenizer
    started = time.perf_counter()
    with torch.inference_mode():
        for begin in range(0, len(sentences), batch_size):
            encoded = tokenizer(sentences[begin : begin + batch_size], return_tensors="pt", padding=True)
            scorer.model(**encoded)
    return time.perf_counter() - started


def timed_restore(restorer, text: str) -> tuple[float, int]:
    started = time.perf_counter()
    result = restorer.restore(text)
    return time.perf_counter() - started, len(result.edits)


def startup_seconds(arguments: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "unspin", *arguments], check=True, capture_output=True)
    return time.perf_counter() - started


def peak_rss_mb(arguments: list[str], seconds: float) -> tuple[float, bool, float]:
    """Peak RSS of a restore run (the kernel's count for the finished or stopped child, ru_maxrss),
    run until it ends or ``seconds`` pass; whether it finished, and its wall time."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "unspin", *arguments], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + seconds
    finished = False
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            finished = True
            break
        time.sleep(0.2)
    if not finished:
        process.kill()
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return usage.ru_maxrss / 1024, finished, time.perf_counter() - started


def long_line(text: str, characters: int = 90_000) -> str:
    """The text's words without punctuation, repeated on one line (no sentence ends to cut at)."""
    words = "".join(c if c.isalnum() or c.isspace() else " " for c in text).split()
    line = []
    size = 0
    while size < characters:
        for word in words:
            line.append(word)
            size += len(word) + 1
            if size >= characters:
                break
    return " ".join(line) + "\n"


def memory(text: str, folder: Path, model: str | None, seconds: float) -> None:
    """Peak RSS of ``unspin restore`` on the seed, a 10 MB file and a 90,000-character line."""
    def restore_peak(path: Path, limit: float) -> tuple[float, bool, float]:
        arguments = ["restore", str(path), "-o", str(folder / "out.txt"), "--no-progress"]
        return peak_rss_mb(arguments + (["--model", model] if model else []), limit)

    seed_peak, _, seed_seconds = restore_peak(SEED, 600)
    print(f"seed ({len(text):,} characters): peak RSS {seed_peak:.0f} MB, {seed_seconds:.1f} s (process, "
          "model load included)")
    big = folder / "big.txt"
    with open(big, "w", encoding="utf-8") as handle:
        while handle.tell() < 10 * 2**20:
            handle.write(text + "\n")
    peak, finished, _ = restore_peak(big, seconds)
    state = "finished" if finished else f"stopped after {seconds:.0f} s"
    print(f"10 MB input: peak RSS {peak:.0f} MB ({state}) = {peak / seed_peak:.2f}x the seed's (target <= 1.15x)")
    line = folder / "line.txt"
    line.write_text(long_line(text), encoding="utf-8")
    peak, finished, line_seconds = restore_peak(line, 1_800)
    print(f"90,000 characters on one line: peak RSS {peak:.0f} MB = {peak / seed_peak:.2f}x the seed's "
          f"(target <= 1.15x); {line_seconds:.1f} s = {line_seconds / seed_seconds:.1f}x the seed's time for "
          f"{90_000 / len(text):.1f}x its characters{'' if finished else ' (stopped)'}")


def model_memory_mb(scorer) -> float:
    return sum(p.numel() * p.element_size() for p in scorer.model.parameters()) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--skip-many", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--memory-seconds", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved floor and restore runs")
    parser.add_argument("--only-memory", action="store_true", help="only the peak-memory runs (5.)")
    args = parser.parse_args()

    if args.only_memory:
        with tempfile.TemporaryDirectory() as folder:
            memory(SEED.read_text(encoding="utf-8"), Path(folder), args.model, args.memory_seconds)
        return

    from unspin import Restorer
    from unspin.restoring.scoring.loading import load_scorer

    text = SEED.read_text(encoding="utf-8")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"python {platform.python_version()}")
    started = time.perf_counter()
    scorer = load_scorer(args.model)
    print(f"model load: {time.perf_counter() - started:.1f} s ({scorer.name}, "
          f"{next(scorer.model.parameters()).dtype}, {model_memory_mb(scorer):.0f} MB of weights)")
    started = time.perf_counter()
    restorer = Restorer(scorer=scorer)
    print(f"lexicon load: {time.perf_counter() - started:.1f} s")

    # Both sides warm up first (first calls pay one-off costs: kernel set-up, lazily loaded
    # word tables) and run several times, since timings on a shared machine jitter.
    as_loaded = getattr(scorer, "model_as_loaded", contextlib.nullcontext)
    with as_loaded():
        forward_floor(scorer, text)
    forward_floor(scorer, text)
    restorer.restore(text[:2000])
    floors, scorer_floors, restores = [], [], []
    for _ in range(args.rounds):
        with as_loaded():
            floors.append(forward_floor(scorer, text))
        scorer_floors.append(forward_floor(scorer, text))
        restores.append(timed_restore(restorer, text))
    seconds, edits = min(restores)
    runs = [r for r, _ in restores]

    def ratios(reference: list[float]) -> str:
        # A round's floors and restore run within seconds of each other, so the median of the
        # rounds' ratios shrugs off the machine's slow spells better than either best-of.
        rounds = [r / f for r, f in zip(runs, reference)]
        return (f"ratio of the bests {seconds / min(reference):.2f}x, median of the rounds' ratios "
                f"{statistics.median(rounds):.2f}x (rounds: {', '.join(f'{x:.2f}' for x in rounds)})")

    print(f"forward pass over the seed: {min(floors):.1f} s (runs: {', '.join(f'{f:.1f}' for f in floors)}); "
          f"with the scorer's activation {min(scorer_floors):.1f} s (runs: "
          f"{', '.join(f'{f:.1f}' for f in scorer_floors)})")
    print(f"restore of the seed: {seconds:.1f} s (runs: {', '.join(f'{r:.1f}' for r in runs)}; {edits} edits)")
    print(f"against the forward pass (target <= 3x): {ratios(floors)}")
    print(f"against the pass with the scorer's activation: {ratios(scorer_floors)}")

    if not args.skip_scaling:
        # Two runs of each, interleaved, so that a slow spell of the machine hits both sides.
        singles, fours = [], []
        for _ in range(2):
            singles.append(timed_restore(restorer, text)[0])
            fours.append(timed_restore(restorer, "\n".join([text] * 4))[0])
        print(f"4 copies: {min(fours):.1f} s (runs: {', '.join(f'{f:.1f}' for f in fours)}) = "
              f"{min(fours) / min(singles):.2f}x one copy (runs: {', '.join(f'{s:.1f}' for s in singles)}; "
              f"target <= 4.4x)")

    if not args.skip_many:
        paragraphs = [p for p in text.splitlines() if p.strip()]
        alone, together = [], []
        for _ in range(2):
            started = time.perf_counter()
            for paragraph in paragraphs:
                restorer.restore(paragraph)
            alone.append(time.perf_counter() - started)
            started = time.perf_counter()
            restorer.restore_many(paragraphs)
            together.append(time.perf_counter() - started)
        print(f"many documents ({len(paragraphs)} paragraphs of the seed as texts): one at a time "
              f"{min(alone):.1f} s (runs: {', '.join(f'{a:.1f}' for a in alone)}), restore_many "
              f"{min(together):.1f} s (runs: {', '.join(f'{t:.1f}' for t in together)}) = "
              f"{min(alone) / min(together):.2f}x the throughput")

    with tempfile.TemporaryDirectory() as folder:
        empty = Path(folder) / "empty.txt"
        empty.write_text("")
        print(f"start-up: unspin --help {startup_seconds(['--help']):.2f} s; restore of an empty file "
              f"{startup_seconds(['restore', str(empty)]):.2f} s (target < 0.5 s)")
        if args.skip_memory:
            return
        print(f"model weights: {model_memory_mb(scorer):.0f} MB")
    del scorer, restorer  # this process's model is not the measured one's: free the machine for it
    with tempfile.TemporaryDirectory() as folder:
        memory(text, Path(folder), args.model, args.memory_seconds)


if __name__ == "__main__":
    main()
