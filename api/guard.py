"""The API's outer guard: request size, JSON that Python would accept but nothing downstream can
use, and the security headers of every response.

An ASGI middleware (not a ``BaseHTTPMiddleware``) so that it sees the body as it streams in:

- a body over the limit is refused with 413 before it is read into memory (``Content-Length``
  over the limit: at once; a chunked body: as soon as the running count passes it);
- a JSON body is parsed strictly before the app sees it: ``NaN``, ``Infinity``, numbers that
  overflow a double (``1e400``) or a 64-bit integer, lone UTF-16 surrogates (``"\\ud800"``) and
  NUL characters are a 422 naming the field, in FastAPI's validation format. Python's
  :func:`json.loads` accepts all of them, and they then fail far from the request (a database
  that refuses NUL, an encoder that refuses surrogates, a solver handed infinity);
- query-string values are checked for NUL characters and lone surrogates the same way;
- every response carries ``X-Content-Type-Options: nosniff``, a ``Referrer-Policy`` and a
  ``Content-Security-Policy`` with ``frame-ancestors 'none'`` (routes that serve HTML set a
  fuller policy of their own, which is kept).
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from islandcover.config import DEFAULT_MAX_BODY_BYTES
from islandcover.store import text_problem

__all__ = ["JSON_CSP", "RequestGuard", "body_problems", "html_csp"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


#: The policy of every response that does not set its own: nothing may be loaded or framed.
JSON_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

_NOT_FINITE = ("must be a finite number (NaN, Infinity and numbers beyond a double or a 64-bit integer "
               "are refused)")

#: Largest integer a JSON body may carry (ids are 64-bit).
_MAX_INT = 2**63 - 1

_SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def html_csp(html: str, *, img_src: tuple[str, ...] = (), connect_src: tuple[str, ...] = ()) -> str:
    """A Content-Security-Policy that allows exactly what an HTML page of ours loads.

    Scripts: the page's own inline scripts, each by its SHA-256 hash, and scripts served from
    this origin; no ``eval``, no other origin. Styles: this origin and inline (Leaflet and
    Swagger UI position elements with style attributes). Images: this origin, ``data:`` URIs
    (the inlined marker icons) and ``img_src``. Nothing may frame the page.

    Parameters
    ----------
    html : str
        The page, as served (its inline scripts must not change afterwards).
    img_src, connect_src : tuple of str
        Further sources, e.g. ``("https://tile.openstreetmap.org",)`` for the optional tile layer.
    """
    hashes = sorted({"'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'"
                     for body in _INLINE_SCRIPT.findall(html)})
    parts = [
        "default-src 'none'",
        "script-src " + " ".join(["'self'", *hashes]),
        "style-src 'self' 'unsafe-inline'",
        "img-src " + " ".join(["'self'", "data:", *img_src]),
        "font-src 'self' data:",
        "connect-src " + " ".join(["'self'", *connect_src]),
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ]
    return "; ".join(parts)


class _Bad:
    """Stands for a number JSON may spell but a double cannot hold (found by :func:`body_problems`)."""

    def __init__(self, text: str) -> None:
        self.text = text  # kept for debugging; never sent back


def _parse_float(text: str) -> float | _Bad:
    value = float(text)
    return value if math.isfinite(value) else _Bad(text)


def _parse_int(text: str) -> int | _Bad:
    if len(text.lstrip("-")) > 19:
        return _Bad(text)
    value = int(text)
    return value if -_MAX_INT - 1 <= value <= _MAX_INT else _Bad(text)


def body_problems(body: bytes) -> list[tuple[tuple[str | int, ...], str]]:
    """What is wrong with a JSON body, as (location, message) pairs; empty when it is usable.

    Parameters
    ----------
    body : bytes
        The raw request body (UTF-8 JSON).

    Returns
    -------
    list of (tuple, str)
        Each location starts with ``"body"`` and follows keys and list indices to the bad value.
        A body that is not JSON at all is left to the app (FastAPI answers it with a 422 of its own).
    """
    try:
        doc = json.loads(body, parse_float=_parse_float, parse_int=_parse_int, parse_constant=_Bad)
    except (ValueError, RecursionError):
        return []
    found: list[tuple[tuple[str | int, ...], str]] = []

    def walk(node: Any, loc: tuple[str | int, ...]) -> None:
        if len(found) >= 10:
            return
        if isinstance(node, _Bad):
            found.append((loc, _NOT_FINITE))
        elif isinstance(node, str):
            problem = text_problem(node)
            if problem:
                found.append((loc, problem))
        elif isinstance(node, dict):
            for key, value in node.items():
                problem = text_problem(key)
                if problem:
                    found.append((loc, f"a key {problem}"))
                walk(value, (*loc, key if problem is None else "?"))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, (*loc, i))

    try:
        walk(doc, ("body",))
    except RecursionError:
        return [(("body",), "nested too deeply")]
    return found


def _query_problems(query_string: bytes) -> list[tuple[tuple[str | int, ...], str]]:
    found: list[tuple[tuple[str | int, ...], str]] = []
    text = query_string.decode("latin-1")
    for name, value in parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="surrogateescape"):
        problem = text_problem(value) or text_problem(name)
        if problem:
            found.append((("query", name if text_problem(name) is None else "?"), problem))
    return found


def _error_body(errors: list[tuple[tuple[str | int, ...], str]]) -> bytes:
    detail = [{"loc": list(loc), "msg": msg, "type": "value_error"} for loc, msg in errors]
    return json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")


class RequestGuard:
    """ASGI middleware: body size limit (413), strict JSON and query text (422), security headers.

    Parameters
    ----------
    app : ASGI app
        The app to guard.
    max_body_bytes : int
        Largest request body accepted, bytes.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = int(max_body_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send)
        problems = _query_problems(scope.get("query_string", b""))
        if problems:
            await _respond(send, 422, _error_body(problems))
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await _respond(send, 400, _error_body([(("header", "content-length"), "not a whole number")]))
                return
            if declared > self.max_body_bytes:
                await _respond(send, 413, _too_large(self.max_body_bytes))
                return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE") and length is None \
                and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await _respond(send, 413, _too_large(self.max_body_bytes))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and b"json" in headers.get(b"content-type", b"application/json"):
            problems = body_problems(body)
            if problems:
                await _respond(send, 422, _error_body(problems))
                return
        await self.app(scope, _replay(body, receive), send)


def _too_large(limit: int) -> bytes:
    return json.dumps({"detail": f"request body over the limit of {limit:,} bytes"}).encode()


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # the disconnect, when the client goes

    return replay


def _with_security_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {k.lower() for k, _ in headers}
            headers += [(k, v) for k, v in _SECURITY_HEADERS if k not in present]
            if b"content-security-policy" not in present:
                headers.append((b"content-security-policy", JSON_CSP.encode()))
            message["headers"] = headers
        await send(message)

    return wrapped


async def _respond(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
