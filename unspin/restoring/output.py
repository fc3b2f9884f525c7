"""Stage 5: a restoration as text, JSON, an inline diff or an HTML report."""

from __future__ import annotations

import json
from enum import Enum

from unspin.restoring.edits import Restoration


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    diff = "diff"
    html = "html"


# ANSI colours for terminals; plain wdiff-style markers elsewhere.
_DELETED, _INSERTED, _RESET = "\x1b[31;9m", "\x1b[32;1m", "\x1b[0m"


def render(restoration: Restoration, output_format: OutputFormat, colour: bool = False) -> str:
    """The restoration in the requested format (JSON ends with a newline)."""
    if output_format is OutputFormat.json:
        return json.dumps(restoration.to_dict(), ensure_ascii=False, indent=2) + "\n"
    if output_format is OutputFormat.diff:
        return render_diff(restoration, colour)
    if output_format is OutputFormat.html:
        from unspin.restoring.report import render_html

        return render_html(restoration)
    return restoration.text


def render_diff(restoration: Restoration, colour: bool = False) -> str:
    """The input with each edit inline: ``[-spun-]{+original+}``, or coloured on a terminal."""
    source, pieces, position = restoration.source, [], 0
    for edit in restoration.edits:
        pieces.append(source[position : edit.start])
        if colour:
            pieces.append(f"{_DELETED}{edit.original}{_RESET}{_INSERTED}{edit.replacement}{_RESET}")
        else:
            pieces.append(f"[-{edit.original}-]{{+{edit.replacement}+}}")
        position = edit.end
    pieces.append(source[position:])
    return "".join(pieces)
