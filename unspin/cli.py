"""Command-line interface: a thin layer over the library (parse, call, print)."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="unspin: restore the original wording of spun text.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
lexicon_app = typer.Typer(help="Build and inspect substitution lexicons.", no_args_is_help=True)
model_app = typer.Typer(help="The language model that scores candidates.", no_args_is_help=True)
app.add_typer(lexicon_app, name="lexicon")
app.add_typer(model_app, name="model")


def fail(message: str) -> None:
    """One-line error, exit code 2, no traceback."""
    typer.echo(f"unspin: error: {message}", err=True)
    raise typer.Exit(2)


def probability(param: typer.CallbackParam, value: float | None) -> float | None:
    """An option that must lie in [0, 1]: one line and exit 2 otherwise (click's own range check
    prints a usage box)."""
    if value is not None and not 0.0 <= value <= 1.0:
        fail(f"{param.opts[0]} must lie between 0 and 1, not {value:g}")
    return value


# The restorer's options, shared by the commands that restore (restore, serve, restore-corpus).
ModelOption = Annotated[str | None, typer.Option(
    "--model", "-m", envvar="UNSPIN_MODEL",
    help="Hub id or local path of a masked or causal LM (default: Gemma-3-270M).")]
LexiconsOption = Annotated[list[str] | None, typer.Option(
    "--lexicon", "-l", help="Lexicon name or file (repeatable).")]
ThresholdOption = Annotated[float | None, typer.Option(
    "--threshold", "-t", callback=probability, help="Minimum confidence of an edit (0 to 1); higher is more precise.")]
ExcludeOption = Annotated[str | None, typer.Option("--exclude", help="File of words and phrases never to touch.")]


# --- restore and model commands (core) ---------------------------------------------------


@app.command()
def restore(
    paths: list[str] = typer.Argument(..., help="Files or folders of .txt files to restore; - reads stdin."),
    output: str = typer.Option(None, "--output", "-o",
                               help="Write here (a folder for several inputs, a folder input or an existing folder)."),
    output_format: str = typer.Option("text", "--format", "-f", help="text, json, diff or html (a report page)."),
    model: ModelOption = None,
    lexicons: LexiconsOption = None,
    threshold: ThresholdOption = None,
    exclude: ExcludeOption = None,
    propose: bool = typer.Option(None, "--propose/--no-propose",
                                 help="Let the model propose originals no lexicon knows (default: on for causal LMs)."),
    same_spinner: bool = typer.Option(False, "--same-spinner",
                                      help="All inputs come from one spinner (one site): they share evidence."),
    assume_spun: bool = typer.Option(False, "--assume-spun",
                                     help="The inputs are known to be spun: the model and thesaurus propose even "
                                          "where no learned lexicon shows a spinner."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bars on stderr."),
    skip_existing: bool = typer.Option(False, "--skip-existing",
                                       help="Skip inputs whose output is already there (resume a run)."),
) -> None:
    """Restore the likely original wording of spun text."""
    from unspin.files import SETUP_ERRORS, InputError, restore_paths
    from unspin.restoring.output import OutputFormat

    try:
        chosen = OutputFormat(output_format)
    except ValueError:
        fail(f"--format must be text, json, diff or html, not {output_format!r}")
    try:
        restore_paths(paths, output, chosen, progress=progress, skip_existing=skip_existing, model=model,
                      lexicons=lexicons or None, threshold=threshold, exclude=exclude, propose=propose,
                      same_spinner=same_spinner or None, assume_spun=assume_spun or None)
    except (InputError, OSError, *SETUP_ERRORS) as error:
        fail(str(error))


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (only this computer by default)."),
    port: int = typer.Option(8000, "--port", "-p", min=1, max=65535, help="Port to listen on."),
    max_chars: int = typer.Option(200_000, "--max-chars", min=1, help="Longest text accepted (longer: 413)."),
    model: ModelOption = None,
    lexicons: LexiconsOption = None,
    threshold: ThresholdOption = None,
    exclude: ExcludeOption = None,
) -> None:
    """A local web page (paste or upload text, see the report) and a JSON API, POST /restore."""
    try:
        from unspin.server import run_server
    except ImportError as error:
        fail(f"unspin serve needs the [serve] extra (pip install 'unspin[serve]'): {error}")
    from unspin.files import SETUP_ERRORS
    from unspin.restoring.pipeline import Restorer

    options = {"model": model, "lexicons": lexicons or None, "threshold": threshold, "exclude": exclude}
    try:
        restorer = Restorer(progress=True, **{k: v for k, v in options.items() if v is not None})
        restorer.scorer  # noqa: B018  (the model is loaded once, before the first request)
    except (OSError, *SETUP_ERRORS) as error:
        fail(str(error))
    run_server(restorer, host, port, max_chars)


@app.command("restore-corpus")
def restore_corpus_command(
    input_path: str = typer.Argument(..., metavar="INPUT",
                                     help="A folder of .txt files (id: file name), a JSON Lines file of "
                                          '{"id": ..., "text": ...} or a Parquet file with id and text columns '
                                          "(or a folder of .jsonl or .parquet files)."),
    output: str = typer.Option(..., "--output", "-o",
                               help="NAME.jsonl or NAME.parquet: a folder of part files; a re-run resumes it."),
    address: str = typer.Option(None, "--address", help="Ray cluster to join (auto, HOST:PORT, ray://...); "
                                                        "default: start Ray on this machine."),
    workers: int = typer.Option(2, "--workers", "-w", min=1, help="Ray actors, each with its own model."),
    batch_size: int = typer.Option(16, "--batch-size", min=1, help="Documents per restore_many call."),
    threads: int = typer.Option(1, "--threads", min=1, help="CPU threads (and Ray CPUs) per worker."),
    model: ModelOption = None,
    lexicons: LexiconsOption = None,
    threshold: ThresholdOption = None,
    exclude: ExcludeOption = None,
    dtype: str = typer.Option(None, "--dtype", help="float32 or bfloat16 (default: bfloat16 where the CPU "
                                                    "has it natively)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bar on stderr."),
) -> None:
    """Restore a whole corpus on Ray: every document once into OUTPUT, resuming what a previous run wrote."""
    import os

    from unspin.corpus import CorpusError, restore_corpus
    from unspin.files import SETUP_ERRORS, InputError, _stderr_console

    if dtype not in (None, "float32", "bfloat16"):
        fail(f"--dtype must be float32 or bfloat16, not {dtype!r}")
    # Ray's C++ core logs a misleading error for every actor pool (its constructor arguments sit in
    # the object store); real failures still reach us as exceptions.
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    _quiet_ray()
    try:
        summary = restore_corpus(input_path, output, address=address, workers=workers, batch_size=batch_size,
                                 threads=threads, model=model, lexicons=lexicons or None, threshold=threshold,
                                 exclude=exclude, dtype=dtype, progress=progress and _stderr_console().is_terminal)
    except (InputError, CorpusError, OSError, *SETUP_ERRORS) as error:
        fail(str(error))
    typer.echo(f"{output}: {summary.restored} documents restored, {summary.skipped} already there, "
               f"{summary.total} in all ({summary.seconds:.1f} s)")


def _quiet_ray() -> None:
    """Ray Data logs each run's plan, start and failures to the console: our progress bar and summary
    say the first two, our one-line error the last."""
    import logging

    try:
        import ray.data  # noqa: F401  (configures its loggers on import)
    except ImportError:  # restore_corpus says what to install
        return
    logging.getLogger("ray.data").setLevel(logging.CRITICAL)


@model_app.command("path")
def model_path(model: str = typer.Option(None, "--model", "-m", envvar="UNSPIN_MODEL")) -> None:
    """Print the local directory of the resolved model (converting the default once)."""
    from unspin.restoring.scoring.models import ModelError, resolve_model_path

    try:
        typer.echo(resolve_model_path(model, progress=True))
    except ModelError as error:
        fail(str(error))


@model_app.command("info")
def model_info(model: str = typer.Option(None, "--model", "-m", envvar="UNSPIN_MODEL")) -> None:
    """Say what the resolved model is, its scorer kind and its licence."""
    from dataclasses import asdict

    from unspin.restoring.scoring.models import ModelError
    from unspin.restoring.scoring.models import model_info as describe

    try:
        info = describe(model)
    except ModelError as error:
        fail(str(error))
    for key, value in asdict(info).items():
        typer.echo(f"{key}: {value}")


# --- lexicon commands (unspin/lexicon/) ------------------------------------------


@lexicon_app.command("build")
def lexicon_build(
    source: str = typer.Argument(..., help="thesaurus, tortured, news or related."),
    output: str = typer.Option(..., "--output", "-o", help="Lexicon file to write (.tsv, .tsv.gz, .tsv.xz)."),
    spun: str = typer.Option(None, "--spun", help="news: spun text (file or folder)."),
    orig: str = typer.Option(None, "--orig", help="news: original text (same names)."),
    pps: str = typer.Option(None, "--pps", help="tortured: the PPS list (default ../shared/data/...)."),
    extend: bool = typer.Option(False, "--extend", help="news: add the thesaurus extension rule's swaps."),
    sources: str = typer.Option(None, "--sources", help="news: TSV of each pair's addresses, for the header."),
) -> None:
    """Build a lexicon from its sources; the same inputs give a byte-identical file."""
    from pathlib import Path

    from unspin.lexicon.build import build_lexicon
    from unspin.lexicon.format import LexiconError

    given = {"spun": spun, "orig": orig, "pps": pps, "sources": sources}
    options: dict = {key: Path(value) for key, value in given.items() if value is not None}
    if extend:
        options["extend"] = True
    try:
        path = build_lexicon(source, Path(output), **options)
    except (LexiconError, OSError) as error:
        fail(str(error))
    typer.echo(f"wrote {path}")


@lexicon_app.command("list")
def lexicon_list() -> None:
    """The shipped lexicons: name, entries, source, licence, file, sha256 prefix."""
    from unspin.lexicon.format import LexiconError, read_lexicon, shipped_lexicons

    for name, path in shipped_lexicons().items():
        try:
            header, entries = read_lexicon(path)
        except LexiconError as error:
            fail(str(error))
        typer.echo(f"{name}\t{len(entries)}\t{header.source}\t{header.licence}\t{path.name}\t{header.sha256[:12]}")


@lexicon_app.command("show")
def lexicon_show(
    name: str = typer.Argument(..., help="Shipped lexicon name or lexicon file."),
    word: str = typer.Argument(..., help="Spun word or phrase."),
) -> None:
    """Candidate originals of a spun word or phrase (and of its lemmas), and what it is spun into."""
    from unspin.lexicon.format import Lexicon, LexiconError, normalize_phrase
    from unspin.lexicon.relatedness import word_forms

    try:
        lexicon = Lexicon.load(name)
    except LexiconError as error:
        fail(str(error))
    key = normalize_phrase(word)
    keys = [key] + sorted(word_forms(key) - {key}) if " " not in key else [key]
    for lookup in keys:
        for candidate in lexicon.candidates(lookup):
            typer.echo(f"{lookup} <- {candidate.original}\tP(spun|original)={candidate.channel:.4g}")
    for spun, probability in sorted(lexicon.substitutes(key).items(), key=lambda kv: (-kv[1], kv[0])):
        typer.echo(f"{key} -> {spun}\tP(spun|original)={probability:.4g}")

# --- eval / learn / spin commands (unspin/evaluation/, unspin/lexicon/learn.py) ----------------


@app.command("eval")
def eval_command(
    spun: str = typer.Option(..., "--spun", help="Spun text: a file or a folder of files."),
    orig: str = typer.Option(..., "--orig", help="Gold originals (same names; {a|b} marks either reading)."),
    system: str = typer.Option(None, "--system", help="System outputs (same names); default: restorer."),
    output_format: str = typer.Option("text", "--format", "-f", help="text or json."),
    details: bool = typer.Option(False, "--details", help="List each gold edit and what the system did."),
    model: str = typer.Option(None, "--model", "-m", envvar="UNSPIN_MODEL", help="Model for the restorer."),
    lexicons: list[str] = typer.Option(None, "--lexicon", "-l", help="Lexicon name or file (repeatable)."),
    threshold: float = typer.Option(None, "--threshold", "-t", callback=probability,
                                    help="Restorer threshold (0 to 1)."),
    min_similarity: float = typer.Option(0.5, "--min-similarity", callback=probability,
                                         help="Sentence pairs less similar than this are not evaluated."),
) -> None:
    """Score a restorer (or given outputs) against originals, beside the identity baseline."""
    import json
    from pathlib import Path

    from unspin.evaluation.metrics import evaluate, read_pairs, restorer_system
    from unspin.lexicon.format import LexiconError

    if output_format not in ("text", "json"):
        fail(f"--format must be text or json, not {output_format!r}")
    try:
        pairs = read_pairs(Path(spun), Path(orig), Path(system) if system else None)
        run, settings = (None, {"system": system}) if system else restorer_system(model, lexicons, threshold)
        report = evaluate(pairs, run, settings, min_similarity)
    except (OSError, LexiconError) as error:
        fail(str(error))
    if output_format == "json":
        typer.echo(json.dumps(report.to_dict(details), indent=2, ensure_ascii=False))
    else:
        typer.echo(report.format_text(details))


@app.command("learn")
def learn_command(
    output: str = typer.Option(..., "--output", "-o", help="Lexicon file to write (.tsv, .tsv.gz, .tsv.xz)."),
    spun: str = typer.Option(None, "--spun", help="Spun text: a file or a folder of files."),
    orig: str = typer.Option(None, "--orig", help="Originals: a file or a folder of same-named files."),
    unpaired: str = typer.Option(None, "--unpaired", help="Spun articles alone (a folder of .txt files, one "
                                 "spinner): induce its lexicon with the model, no originals needed."),
    name: str = typer.Option(None, "--name", help="Lexicon name (default: the output file's stem)."),
    thesaurus: str = typer.Option(None, "--thesaurus",
                                  help="With --spun: synonym lexicon for relatedness (default: the shipped one)."),
    min_count: int = typer.Option(2, "--min-count", min=1, help="Keep unrelated swaps seen this often "
                                  "(--unpaired: mappings with this expected count)."),
    model: str = typer.Option(None, "--model", "-m", envvar="UNSPIN_MODEL",
                              help="--unpaired: the language model (default: Gemma-3-270M)."),
    lexicons: list[str] = typer.Option(None, "--lexicon", "-l",
                                       help="--unpaired: lexicons to restore with (default: all shipped)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="--unpaired: a progress bar on stderr."),
) -> None:
    """Learn a spinner lexicon (spun -> original, weights: count) from aligned pairs, or from spun text alone."""
    from pathlib import Path

    from unspin.lexicon.format import LexiconError
    from unspin.lexicon.learn import LearnSettings, learn_lexicon, read_text_pairs
    from unspin.lexicon.relatedness import default_relatedness

    if unpaired is not None:
        if spun is not None or orig is not None or thesaurus is not None:
            fail("--unpaired learns from spun text alone: leave out --spun, --orig and --thesaurus")
        _learn_unpaired(unpaired, output, name, min_count, model, lexicons, progress)
        return
    if spun is None or orig is None:
        fail("give --spun and --orig (aligned pairs), or --unpaired (spun text alone)")
    try:
        pairs = read_text_pairs(Path(spun), Path(orig))
        relatedness = default_relatedness(Path(thesaurus) if thesaurus else None)
        path = learn_lexicon(pairs, Path(output), name or Path(output).name.split(".")[0],
                             f"learned by unspin.lexicon.learn from {spun} (spun) vs {orig} (original)",
                             relatedness, LearnSettings(min_count=min_count))
    except (OSError, LexiconError) as error:
        fail(str(error))
    typer.echo(path)


def _learn_unpaired(folder: str, output: str, name: str | None, min_count: int, model: str | None,
                    lexicons: list[str] | None, progress: bool) -> None:
    from contextlib import ExitStack
    from pathlib import Path

    from unspin.files import SETUP_ERRORS
    from unspin.lexicon.unpaired import UnpairedSettings, learn_unpaired
    from unspin.sources import InputError, check_text_file, expand_inputs

    with ExitStack() as stack:
        bar: list = []

        def advance(done: int, total: int) -> None:
            if not bar:  # started once the model is ready (its conversion shows a bar of its own)
                from rich.console import Console
                from rich.progress import Progress

                bar.append(stack.enter_context(Progress(transient=True, console=Console(stderr=True))))
                bar.append(bar[0].add_task("learning from files", total=total))
            bar[0].update(bar[1], completed=done)

        try:
            names = expand_inputs([folder])
            for file in names:
                check_text_file(file)
            result = learn_unpaired([Path(n) for n in names], Path(output), name,
                                    source=f"induced by unspin learn --unpaired from {len(names)} spun files in "
                                    f"{folder}", model=model, lexicons=lexicons or None,
                                    settings=UnpairedSettings(min_count=float(min_count)),
                                    progress=advance if progress else None, show_model_progress=progress)
        except (InputError, OSError, *SETUP_ERRORS) as error:
            fail(str(error))
    typer.echo(f"{result.path}: {len(result.mappings)} mappings ({len(result.entries)} rows with inflections)"
               f" from {result.files} files")


@app.command("spin")
def spin_command(
    path: str = typer.Argument(..., help="Clean text file to spin."),
    lexicons: list[str] = typer.Option(..., "--lexicon", "-l", help="Lexicon name or file (repeatable)."),
    rate: float = typer.Option(0.2, "--rate", callback=probability, help="Chance of swapping a swappable word."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same output)."),
    output: str = typer.Option(None, "--output", "-o", help="Write the spun text here (default: stdout)."),
    gold_json: str = typer.Option(None, "--gold-json", help="Write the gold edits as JSON."),
) -> None:
    """Spin clean text with a reference dictionary spinner, for synthetic evaluation pairs."""
    import json
    from pathlib import Path

    from unspin.evaluation.spin import spin_text
    from unspin.lexicon.format import Lexicon, LexiconError

    try:
        loaded = [Lexicon.load(x) for x in lexicons]
        result = spin_text(Path(path).read_text(encoding="utf-8"), loaded, rate, seed)
        if output:
            Path(output).write_text(result.text, encoding="utf-8")
        else:
            typer.echo(result.text, nl=False)
        if gold_json:
            gold = {"settings": result.settings, "edits": result.gold()}
            text = json.dumps(gold, indent=1, ensure_ascii=False) + "\n"
            Path(gold_json).write_text(text, encoding="utf-8")
    except (OSError, LexiconError) as error:
        fail(str(error))
