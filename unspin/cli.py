"""Command-line interface: a thin layer over the library (parse, call, print)."""

from __future__ import annotations

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


# --- restore and model commands (core) ---------------------------------------------------


@app.command()
def restore(
    paths: list[str] = typer.Argument(..., help="Files or folders of .txt files to restore; - reads stdin."),
    output: str = typer.Option(None, "--output", "-o",
                               help="Write here (a folder for several inputs, a folder input or an existing folder)."),
    output_format: str = typer.Option("text", "--format", "-f", help="text, json or diff."),
    model: str = typer.Option(None, "--model", "-m", envvar="UNSPIN_MODEL",
                              help="Hub id or local path of a masked or causal LM (default: Gemma-3-270M)."),
    lexicons: list[str] = typer.Option(None, "--lexicon", "-l", help="Lexicon name or file (repeatable)."),
    threshold: float = typer.Option(None, "--threshold", "-t", callback=probability,
                                    help="Minimum confidence of an edit (0 to 1); higher is more precise."),
    exclude: str = typer.Option(None, "--exclude", help="File of words and phrases never to touch."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bars on stderr."),
    skip_existing: bool = typer.Option(False, "--skip-existing",
                                       help="Skip inputs whose output is already there (resume a run)."),
) -> None:
    """Restore the likely original wording of spun text."""
    from unspin.files import SETUP_ERRORS, InputError, restore_paths
    from unspin.output import OutputFormat

    try:
        chosen = OutputFormat(output_format)
    except ValueError:
        fail(f"--format must be text, json or diff, not {output_format!r}")
    try:
        restore_paths(paths, output, chosen, progress=progress, skip_existing=skip_existing, model=model,
                      lexicons=lexicons or None, threshold=threshold, exclude=exclude)
    except (InputError, OSError, *SETUP_ERRORS) as error:
        fail(str(error))


@model_app.command("path")
def model_path(model: str = typer.Option(None, "--model", "-m", envvar="UNSPIN_MODEL")) -> None:
    """Print the local directory of the resolved model (converting the default once)."""
    from unspin.models import ModelError, resolve_model_path

    try:
        typer.echo(resolve_model_path(model, progress=True))
    except ModelError as error:
        fail(str(error))


@model_app.command("info")
def model_info(model: str = typer.Option(None, "--model", "-m", envvar="UNSPIN_MODEL")) -> None:
    """Say what the resolved model is, its scorer kind and its licence."""
    from dataclasses import asdict

    from unspin.models import ModelError
    from unspin.models import model_info as describe

    try:
        info = describe(model)
    except ModelError as error:
        fail(str(error))
    for key, value in asdict(info).items():
        typer.echo(f"{key}: {value}")


# --- lexicon commands (unspin/lexicon_build.py) ------------------------------------------


@lexicon_app.command("build")
def lexicon_build(
    source: str = typer.Argument(..., help="thesaurus, tortured or news."),
    output: str = typer.Option(..., "--output", "-o", help="Lexicon file to write (.tsv, .tsv.gz, .tsv.xz)."),
    spun: str = typer.Option(None, "--spun", help="news: spun text (file or folder)."),
    orig: str = typer.Option(None, "--orig", help="news: original text (same names)."),
    pps: str = typer.Option(None, "--pps", help="tortured: the PPS list (default ../shared/data/...)."),
    extend: bool = typer.Option(False, "--extend", help="news: add the thesaurus extension rule's swaps."),
) -> None:
    """Build a lexicon from its sources; the same inputs give a byte-identical file."""
    from pathlib import Path

    from unspin.lexicon import LexiconError
    from unspin.lexicon_build import build_lexicon

    given = {"spun": spun, "orig": orig, "pps": pps}
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
    from unspin.lexicon import LexiconError, read_lexicon, shipped_lexicons

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
    from unspin.lexicon import Lexicon, LexiconError, normalize_phrase
    from unspin.relatedness import word_forms

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

# --- eval / learn / spin commands (unspin/evaluate.py, learn.py, spin.py) ----------------


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

    from unspin.evaluate import evaluate, read_pairs, restorer_system
    from unspin.lexicon import LexiconError

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
    spun: str = typer.Option(..., "--spun", help="Spun text: a file or a folder of files."),
    orig: str = typer.Option(..., "--orig", help="Originals: a file or a folder of same-named files."),
    output: str = typer.Option(..., "--output", "-o", help="Lexicon file to write (.tsv, .tsv.gz, .tsv.xz)."),
    name: str = typer.Option(None, "--name", help="Lexicon name (default: the output file's stem)."),
    thesaurus: str = typer.Option(None, "--thesaurus",
                                  help="Synonym lexicon for relatedness (default: the shipped thesaurus)."),
    min_count: int = typer.Option(2, "--min-count", min=1, help="Keep unrelated swaps seen this often."),
) -> None:
    """Learn a spinner lexicon (spun -> original, weights: count) from aligned pairs."""
    from pathlib import Path

    from unspin.learn import LearnSettings, learn_lexicon, read_text_pairs
    from unspin.lexicon import LexiconError
    from unspin.relatedness import default_relatedness

    try:
        pairs = read_text_pairs(Path(spun), Path(orig))
        relatedness = default_relatedness(Path(thesaurus) if thesaurus else None)
        path = learn_lexicon(pairs, Path(output), name or Path(output).name.split(".")[0],
                             f"learned by unspin.learn from {spun} (spun) vs {orig} (original)",
                             relatedness, LearnSettings(min_count=min_count))
    except (OSError, LexiconError) as error:
        fail(str(error))
    typer.echo(path)


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

    from unspin.lexicon import Lexicon, LexiconError
    from unspin.spin import spin_text

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
