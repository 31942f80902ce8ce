"""Keep keys out of the access log: a logging filter that redacts key-like query parameters.

The API takes keys only in the ``X-API-Key`` header, but a client may still put one in the URL
(``/incidents?api_key=…``), and uvicorn's access log prints every path with its query string.
:class:`RedactKeys` rewrites such records before any handler formats them: the value of every
query parameter whose name looks like a key (``api_key``, ``apikey``, ``key``, ``token``,
``access_token``, ``x-api-key``, ``secret``, ``password``, ``auth``, ``signature`` …, in any
case, percent-encoded or not) becomes ``REDACTED``; everything else is left as it was.

``islandcover serve`` installs it (:func:`log_config` is the uvicorn logging configuration it
passes). Serving the app another way, pass the same configuration or call :func:`install`
after uvicorn has configured its loggers::

    uvicorn.run("api.app:create_app", factory=True, log_config=api.access_log.log_config())
"""
from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import unquote_plus

__all__ = ["REDACTED", "RedactKeys", "install", "log_config", "looks_like_key", "redact_query"]

#: What a redacted value is replaced with.
REDACTED = "REDACTED"

# a parameter name, once lower-cased and stripped of - _ . and spaces, that ends with one of these
_KEY_SUFFIXES = ("key", "token", "secret", "password", "passwd", "pwd", "auth", "authorization",
                 "signature", "sig", "credential", "credentials", "session", "sessionid", "jwt", "bearer")

# name=value after ? & or ; (a value runs to the next separator, quote or whitespace)
_PARAM = re.compile(r"(?P<lead>[?&;])(?P<name>[^=&;#\s\"?]+)=(?P<value>[^&;#\s\"]*)")


def looks_like_key(name: str) -> bool:
    """Whether a query parameter called ``name`` (raw or percent-encoded) may carry a secret.

    Examples
    --------
    >>> [looks_like_key(n) for n in ("api_key", "X-API-Key", "access%5Ftoken", "island", "limit")]
    [True, True, True, False, False]
    """
    norm = re.sub(r"[-_.\s]", "", unquote_plus(name)).lower()
    return norm.endswith(_KEY_SUFFIXES)


def redact_query(text: str) -> str:
    """``text`` (a path with its query, or a whole log line) with key-like parameter values redacted.

    Examples
    --------
    >>> redact_query("/incidents?limit=5&api_key=s3cr3t&Token=abc")
    '/incidents?limit=5&api_key=REDACTED&Token=REDACTED'
    """
    if "=" not in text:
        return text
    return _PARAM.sub(lambda m: (f"{m['lead']}{m['name']}={REDACTED}" if looks_like_key(m["name"])
                                 else m.group(0)), text)


class RedactKeys(logging.Filter):
    """A filter for ``uvicorn.access`` (or any logger) that redacts key-like query parameters.

    It rewrites the record's arguments (uvicorn passes the path with its query as one of them)
    and, for a record without arguments, its message; it never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_query(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact_query(v) if isinstance(v, str) else v for k, v in record.args.items()}
        elif isinstance(record.msg, str):
            record.msg = redact_query(record.msg)
        return True


def log_config(base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` configuration: ``base`` (default uvicorn's own) with
    :class:`RedactKeys` on the ``uvicorn.access`` logger and on every handler."""
    if base is None:
        from uvicorn.config import LOGGING_CONFIG

        base = LOGGING_CONFIG
    config = copy.deepcopy(base)
    config.setdefault("filters", {})["redact_keys"] = {"()": f"{__name__}.RedactKeys"}
    for handler in config.get("handlers", {}).values():
        handler.setdefault("filters", [])
        if "redact_keys" not in handler["filters"]:
            handler["filters"].append("redact_keys")
    access = config.setdefault("loggers", {}).setdefault("uvicorn.access", {})
    access.setdefault("filters", [])
    if "redact_keys" not in access["filters"]:
        access["filters"].append("redact_keys")
    return config


def install(logger: str = "uvicorn.access") -> RedactKeys:
    """Add :class:`RedactKeys` to ``logger`` and to its handlers (once); returns the filter."""
    log = logging.getLogger(logger)
    existing = next((f for f in log.filters if isinstance(f, RedactKeys)), None)
    flt = existing or RedactKeys()
    if existing is None:
        log.addFilter(flt)
    for handler in log.handlers:
        if not any(isinstance(f, RedactKeys) for f in handler.filters):
            handler.addFilter(flt)
    return flt
