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


# --- restore and model commands (core) ---------------------------------------------------


@app.command()
def restore(
    paths: list[str] = typer.Argument(..., help="Files or folders of .txt files to restore; - reads stdin."),
    output: str = typer.Option(None, "--output", "-o", help="Write here (a folder when several inputs)."),
    output_format: str = typer.Option("text", "--format", "-f", help="text, json or diff."),
    model: str = typer.Option(None, "--model", "-m", envvar="UNSPIN_MODEL",
                              help="Hub id or local path of a masked or causal LM (default: Gemma-3-270M)."),
    lexicons: list[str] = typer.Option(None, "--lexicon", "-l", help="Lexicon name or file (repeatable)."),
    threshold: float = typer.Option(None, "--threshold", "-t", min=0.0, max=1.0,
                                    help="Minimum confidence of an edit; higher is more precise."),
    exclude: str = typer.Option(None, "--exclude", help="File of words and phrases never to touch."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bars on stderr."),
) -> None:
    """Restore the likely original wording of spun text."""
    from unspin.files import SETUP_ERRORS, InputError, restore_paths
    from unspin.output import OutputFormat

    try:
        chosen = OutputFormat(output_format)
    except ValueError:
        fail(f"--format must be text, json or diff, not {output_format!r}")
    try:
        restore_paths(paths, output, chosen, progress=progress, model=model, lexicons=lexicons or None,
                      threshold=threshold, exclude=exclude)
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

# --- eval / learn / spin commands (unspin/evaluate.py, learn.py, spin.py) ----------------
