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

# --- lexicon commands (unspin/lexicon_build.py) ------------------------------------------

# --- eval / learn / spin commands (unspin/evaluate.py, learn.py, spin.py) ----------------
