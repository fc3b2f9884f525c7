"""A restoration as one self-contained HTML page: a summary of how spun the text was, then the text
with every edit marked (spun words struck through beside the restored ones, coloured by confidence,
the alternatives and the lexicon in a tooltip on hover or keyboard focus).

No scripts and no external assets: the page works offline, prints, and reads on a phone.
"""

from __future__ import annotations

from html import escape
from typing import Any

from unspin import __version__
from unspin.restoring.edits import Edit, Restoration

# Confidence bands (name, lower bound, legend label), highest first; each has a colour and a border
# style, so the band shows without colour too.
BANDS = (("high", 0.9, "90% or more"), ("medium", 0.7, "70% to 90%"), ("low", 0.0, "under 70%"))

CSS = """
:root { --fg: #1f2328; --bg: #fff; --muted: #59636e; --line: #d1d9e0; --panel: #f6f8fa;
  --high: #1a7f37; --high-bg: #dafbe1; --medium: #9a6700; --medium-bg: #fff8c5;
  --low: #cf222e; --low-bg: #ffebe9; --focus: #0969da; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #3d444d; --panel: #151b23;
    --high: #3fb950; --high-bg: #12311d; --medium: #d29922; --medium-bg: #33290f;
    --low: #f85149; --low-bg: #3c1618; --focus: #4493f8; }
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 52rem; padding: 1rem 1.25rem 3rem; color: var(--fg); background: var(--bg);
  font: 1rem/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
.figures { display: flex; flex-wrap: wrap; gap: .75rem; margin: 0 0 1rem; padding: 0; list-style: none; }
.figures li { flex: 1 1 10rem; background: var(--panel); border: 1px solid var(--line); border-radius: 6px;
  padding: .5rem .75rem; }
.figures strong { display: block; font-size: 1.35rem; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; min-width: 60%; margin: .25rem 0 1rem; }
caption { text-align: left; color: var(--muted); padding-bottom: .25rem; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .75rem .3rem 0; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
dl.settings { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0 0 1rem; }
dl.settings dt { color: var(--muted); }
dl.settings dd { margin: 0; overflow-wrap: anywhere; }
.legend { display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; margin: 0 0 .75rem; padding: 0; list-style: none; }
p.muted { margin: 0 0 .5rem; }
.swatch { display: inline-block; width: 1.1em; height: 1.1em; vertical-align: -.2em; margin-right: .3em;
  border-width: 2px; border-radius: 3px; }
.text { white-space: pre-wrap; overflow-wrap: break-word; font: 1.08rem/1.75 Georgia, "Times New Roman", serif;
  background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 1rem; margin: 0; }
.edit { position: relative; border-width: 0 0 2px; border-radius: 3px; padding: 0 .1em; cursor: help; }
.edit del { color: var(--muted); text-decoration-thickness: 2px; margin-right: .2em; }
.edit ins { text-decoration: none; font-weight: 700; }
.edit:focus { outline: 3px solid var(--focus); outline-offset: 2px; }
.high { background: var(--high-bg); border-color: var(--high); border-style: solid; }
.medium { background: var(--medium-bg); border-color: var(--medium); border-style: dashed; }
.low { background: var(--low-bg); border-color: var(--low); border-style: dotted; }
.tip { display: none; position: absolute; left: 0; top: 100%; z-index: 10; margin-top: .35rem;
  width: max-content; max-width: min(22rem, 80vw); white-space: normal; font: .9rem/1.4 system-ui, sans-serif;
  color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: .5rem .65rem;
  box-shadow: 0 4px 14px rgba(0, 0, 0, .18); }
.edit:hover .tip, .edit:focus .tip, .edit:focus-within .tip { display: block; }
.tip ol { margin: .25rem 0 0; padding-left: 1.2rem; }
.muted { color: var(--muted); }
details { margin-top: 1rem; }
details pre { white-space: pre-wrap; overflow-wrap: break-word; font: inherit; }
footer { margin-top: 2rem; color: var(--muted); font-size: .85rem; }
@media (max-width: 600px) {
  body { padding: .75rem .75rem 2rem; }
  h1 { font-size: 1.25rem; }
  .text { font-size: 1rem; padding: .75rem; }
  table { width: 100%; }
}
@media print {
  :root { --fg: #000; --bg: #fff; --panel: #fff; }
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .tip, details, form { display: none !important; }
  .text { border: 0; padding: 0; }
  .edit { break-inside: avoid; }
  .edit::after { content: " " attr(data-percent); font: 7pt sans-serif; vertical-align: super; }
}
"""


def render_html(restoration: Restoration, title: str = "unspin report") -> str:
    """The whole report page for ``restoration`` (needs its ``source``)."""
    return page(title, f"<h1>{escape(title)}</h1>\n{report_body(restoration)}")


def page(title: str, body: str, extra_css: str = "") -> str:
    """A complete HTML document around ``body`` (already HTML) with the report's style."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<meta name=\"generator\" content=\"unspin {escape(__version__)}\">\n"
            f"<title>{escape(title)}</title>\n<style>{CSS}{extra_css}</style>\n</head>\n<body>\n"
            f"{body}\n<footer>Made by unspin {escape(__version__)}. Confidence is the posterior probability "
            "that the restored wording is the original; a lexicon's spin rate is the estimated share of the "
            "words it could have swapped that the spinner did swap.</footer>\n</body>\n</html>\n")


def band(confidence: float) -> str:
    """The confidence band an edit is coloured by."""
    return next(name for name, lower, _ in BANDS if confidence >= lower)


def report_body(restoration: Restoration) -> str:
    """The summary, the legend and the marked-up text (HTML to put inside ``<body>``)."""
    return "\n".join([_summary(restoration), _marked_text(restoration), _restored_only(restoration)])


def _summary(restoration: Restoration) -> str:
    spin = restoration.spin()
    settings = restoration.settings
    words, restored = spin["words"], spin["words_restored"]
    edits = len(restoration.edits)
    figures = [
        (f"{spin['share_restored']:.1%}", f"of the words restored ({restored} of {words})"),
        (str(edits), "edit" if edits == 1 else "edits"),
        (_percent(max(spin["rates"].values())) if spin["rates"] else "–", "highest estimated spin rate"),
    ]
    parts = ['<section class="summary" aria-labelledby="summary-title">',
             '<h2 id="summary-title">Summary</h2>', '<ul class="figures">']
    parts += [f"<li><strong>{escape(value)}</strong> {escape(label)}</li>" for value, label in figures]
    parts.append("</ul>")
    names = list(dict.fromkeys([*settings.get("lexicons", []), *spin["rates"], *spin["edits_by_lexicon"]]))
    if names:
        parts += ['<div class="table-wrap"><table>', "<caption>By lexicon</caption>",
                  '<thead><tr><th scope="col">Lexicon</th><th scope="col" class="num">Estimated spin rate</th>'
                  '<th scope="col" class="num">Edits</th></tr></thead>', "<tbody>"]
        for name in names:
            rate = spin["rates"].get(name)
            parts.append(f'<tr><th scope="row">{escape(name or "(unnamed)")}</th>'
                         f'<td class="num">{_percent(rate) if rate is not None else "–"}</td>'
                         f'<td class="num">{spin["edits_by_lexicon"].get(name, 0)}</td></tr>')
        parts.append("</tbody></table></div>")
    shown = [("Model", settings.get("model")), ("Lexicons", ", ".join(settings.get("lexicons", [])) or None),
             ("Threshold", settings.get("threshold")), ("Beam", settings.get("beam"))]
    rows = [f"<dt>{escape(key)}</dt><dd>{escape(str(value))}</dd>" for key, value in shown if value is not None]
    if rows:
        parts += ['<dl class="settings">', *rows, "</dl>"]
    parts.append("</section>")
    return "\n".join(parts)


def _legend() -> str:
    items = [f'<li><span class="swatch {name}" aria-hidden="true"></span>{escape(label)} confident</li>'
             for name, _, label in BANDS]
    return ('<p class="muted">The spun wording is <del>struck through</del> beside the restored one in '
            '<strong>bold</strong>. Hover over an edit, or move to it with Tab, for its confidence, the other readings '
            'it weighed and the lexicon that proposed it.</p>\n'
            f'<ul class="legend" aria-label="Confidence">{"".join(items)}</ul>\n')


def _marked_text(restoration: Restoration) -> str:
    source, pieces, position = restoration.source, [], 0
    for number, edit in enumerate(restoration.edits, 1):
        pieces.append(escape(source[position : edit.start]))
        pieces.append(_edit(number, edit))
        position = edit.end
    pieces.append(escape(source[position:]))
    note = _legend() if restoration.edits else '<p class="muted">No edits: nothing here looked spun.</p>\n'
    # No whitespace is added inside .text: it is shown as the input has it (pre-wrap).
    return (f'<section aria-labelledby="text-title">\n<h2 id="text-title">The text, with its edits</h2>\n{note}'
            f'<div class="text" id="marked-text">{"".join(pieces)}</div>\n</section>')


def _edit(number: int, edit: Edit) -> str:
    ident = f"edit-{number}"
    percent = _percent(edit.confidence)
    data = edit.to_dict()
    readings = "".join(f"<li>{escape(a.text)}{' (as written)' if a.text == edit.original else ''}: "
                       f"{_percent(a.confidence)}</li>" for a in edit.alternatives)
    lexicon = escape(edit.lexicon) if edit.lexicon else "unknown"
    tip = (f'<span class="tip" role="tooltip" id="{ident}-tip"><strong>{escape(edit.replacement)}</strong>, '
           f"{percent} confident; proposed by lexicon {lexicon}."
           + (f" Other readings:<ol>{readings}</ol>" if readings else "") + "</span>")
    label = f"{edit.original} restored as {edit.replacement}"
    return (f'<span class="edit {band(edit.confidence)}" id="{ident}" tabindex="0" role="group" '
            f'aria-label="{escape(label)}" aria-describedby="{ident}-tip" data-start="{edit.start}" '
            f'data-end="{edit.end}" data-confidence="{data["confidence"]}" data-percent="{percent}" '
            f'data-lexicon="{escape(edit.lexicon)}"><del>{escape(edit.original)}</del>'
            f"<ins>{escape(edit.replacement)}</ins>{tip}</span>")


def _restored_only(restoration: Restoration) -> str:
    return ("<details>\n<summary>The restored text alone</summary>\n"
            f'<pre id="restored">{escape(restoration.text)}</pre>\n</details>')


def _percent(value: Any) -> str:
    """A probability as a whole percentage that never rounds a doubt away (0.996 is ">99%", not "100%")."""
    value = float(value)
    if 0 < value < 0.01:
        return "<1%"
    if 0.99 < value < 1:
        return ">99%"
    return f"{value:.0%}"
