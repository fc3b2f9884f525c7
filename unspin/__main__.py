"""``python -m unspin`` runs the command-line interface."""

from unspin.cli import app

app()
