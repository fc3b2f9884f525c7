"""``unspin serve``: a local web page and a JSON API over one :class:`~unspin.Restorer`.

Starlette and uvicorn come with the ``[serve]`` extra. The model is loaded once, by the caller;
requests are restored one at a time (a lock around the restorer, run in a worker thread so the
server stays responsive). Errors a client can cause get a 400 or 413 with a one-line message;
anything else a 500 whose details go to the server's log only.
"""

from __future__ import annotations

import json
import logging
import threading
from html import escape
from typing import TYPE_CHECKING, Any

import python_multipart  # noqa: F401  (Starlette's form parser: fail at import, not at the first upload)
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from unspin.restoring.report import page, report_body

if TYPE_CHECKING:
    from unspin.restoring.edits import Restoration
    from unspin.restoring.pipeline import Restorer

logger = logging.getLogger(__name__)

DEFAULT_MAX_CHARS = 200_000
# A character is at most 6 bytes of a JSON body ("\\uXXXX"), at most 4 of UTF-8 in a form; the rest is room
# for the envelope. Bodies over this are refused while they are still being received.
_BODY_BYTES_PER_CHAR = 6
_BODY_SLACK = 64 * 1024

FORM_CSS = """
form { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 1rem; }
form label { display: block; font-weight: 600; margin-bottom: .35rem; }
textarea { width: 100%; min-height: 10rem; font: 1rem/1.5 Georgia, serif; padding: .5rem; color: var(--fg);
  background: var(--bg); border: 1px solid var(--line); border-radius: 4px; resize: vertical; }
.row { display: flex; flex-wrap: wrap; align-items: center; gap: .75rem 1.25rem; margin-top: .75rem; }
.row label { display: inline; font-weight: 400; }
button { font: inherit; font-weight: 600; padding: .45rem 1.2rem; border-radius: 6px; border: 1px solid var(--focus);
  background: var(--focus); color: #fff; cursor: pointer; }
button:focus, textarea:focus, input:focus { outline: 3px solid var(--focus); outline-offset: 2px; }
.error { color: var(--low); background: var(--low-bg); border: 1px solid var(--low); border-radius: 6px;
  padding: .5rem .75rem; }
"""


class _BodyTooLarge(Exception):
    """The request body passed the byte limit while it was being received."""


class _BadRequest(Exception):
    """A request the client can fix; its message is shown to the client."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def create_app(restorer: Restorer, max_chars: int = DEFAULT_MAX_CHARS) -> Starlette:
    """The web app: ``GET /`` a page to paste or upload text, ``POST /`` its report, ``POST /restore`` JSON.

    ``restorer`` is used by one request at a time; texts over ``max_chars`` characters get a 413.
    """
    lock = threading.Lock()
    max_bytes = max_chars * _BODY_BYTES_PER_CHAR + _BODY_SLACK

    def restore_now(text: str) -> Restoration:
        with lock:
            return restorer.restore(text)

    async def restore(text: str) -> Restoration:
        if len(text) > max_chars:
            raise _BadRequest(f"the text has {len(text):,} characters; the limit is {max_chars:,}", 413)
        return await run_in_threadpool(restore_now, text)

    async def index(request: Request) -> Response:
        return HTMLResponse(_form_page("", None, max_chars))

    async def report(request: Request) -> Response:
        text = ""
        try:
            text, title = await _form_text(_capped(request, max_bytes))
            restoration = await restore(text)
        except _BodyTooLarge:
            return HTMLResponse(_form_page(text, _error(_too_large(max_chars)), max_chars), 413)
        except _BadRequest as error:
            return HTMLResponse(_form_page(text, _error(str(error)), max_chars), error.status)
        except Exception:  # never a traceback to the client
            logger.exception("restoring a submitted text failed")
            return HTMLResponse(_form_page(text, _error("restoring failed; the server's log says why"), max_chars),
                                500)
        return HTMLResponse(_form_page(text, report_body(restoration), max_chars, title))

    async def api(request: Request) -> Response:
        try:
            text = await _json_text(_capped(request, max_bytes))
            restoration = await restore(text)
        except _BodyTooLarge:
            return JSONResponse({"error": _too_large(max_chars)}, 413)
        except _BadRequest as error:
            return JSONResponse({"error": str(error)}, error.status)
        except Exception:
            logger.exception("restoring a text sent to /restore failed")
            return JSONResponse({"error": "restoring failed; the server's log says why"}, 500)
        return JSONResponse(restoration.to_dict())

    routes = [Route("/", index, methods=["GET"]), Route("/", report, methods=["POST"]),
              Route("/restore", api, methods=["POST"])]
    return Starlette(routes=routes)


def run_server(restorer: Restorer, host: str = "127.0.0.1", port: int = 8000,
               max_chars: int = DEFAULT_MAX_CHARS) -> None:
    """Serve :func:`create_app` with uvicorn until interrupted."""
    import uvicorn

    if host not in ("127.0.0.1", "localhost", "::1"):
        logger.warning("serving on %s: anyone who can reach this address can use it", host)
    uvicorn.run(create_app(restorer, max_chars), host=host, port=port, log_level="info")


def _capped(request: Request, max_bytes: int) -> Request:
    """The request, its body cut off (``_BodyTooLarge``) once it passes ``max_bytes``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _BodyTooLarge
    received = 0

    async def receive() -> Any:
        nonlocal received
        message = await request.receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise _BodyTooLarge
        return message

    return Request(request.scope, receive)


async def _json_text(request: Request) -> str:
    body = await request.body()
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise _BadRequest(f"the body is not valid JSON: {error}") from None
    if not isinstance(data, dict) or "text" not in data:
        raise _BadRequest('the body must be a JSON object with a "text" field: {"text": "..."}')
    if not isinstance(data["text"], str):
        raise _BadRequest(f'"text" must be a string, not {type(data["text"]).__name__}')
    return data["text"]


async def _form_text(request: Request) -> tuple[str, str]:
    """The submitted text (an uploaded file wins over the text box) and a title for its report."""
    try:
        form = await request.form()
    except _BodyTooLarge:
        raise
    except Exception as error:
        raise _BadRequest(f"the form could not be read: {getattr(error, 'detail', error)}") from None
    try:
        upload, text = form.get("file"), form.get("text", "")
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read()
            if data:
                if b"\0" in data:
                    raise _BadRequest(f"{upload.filename} is not a text file")
                try:
                    return data.decode("utf-8"), f"unspin report: {upload.filename}"
                except UnicodeDecodeError:
                    raise _BadRequest(f"{upload.filename} is not UTF-8 text") from None
        return (text if isinstance(text, str) else ""), "unspin report"
    finally:
        await form.close()


def _too_large(max_chars: int) -> str:
    return f"the request is too large; the limit is {max_chars:,} characters of text"


def _error(message: str) -> str:
    return f'<p class="error" role="alert">{escape(message)}</p>'


def _form_page(text: str, result: str | None, max_chars: int, title: str = "unspin") -> str:
    form = (
        '<form method="post" action="/" enctype="multipart/form-data">\n'
        '<label for="text">Paste a spun text</label>\n'
        # The newline after <textarea> is dropped by every parser: one the text starts with is kept.
        f'<textarea id="text" name="text" spellcheck="false">\n{escape(text)}</textarea>\n'
        '<div class="row"><label for="file">or upload a .txt file</label>'
        '<input type="file" id="file" name="file" accept=".txt,text/plain"></div>\n'
        f'<div class="row"><button type="submit" id="restore">Restore</button>'
        f'<span class="muted">Up to {max_chars:,} characters. The text stays on this computer.</span></div>\n'
        "</form>")
    return page(title, f"<h1>{escape(title)}</h1>\n{form}\n{result or ''}", FORM_CSS)
