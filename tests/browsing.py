"""What the headless-Chromium tests share: the browser's path and flags, and a local web server.

Not a test module: tests/test_browser.py and tests/test_browser_replay.py import it; the
``browser`` fixture itself is in tests/conftest.py.
"""
from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
        "--disable-default-apps", "--disable-sync", "--no-first-run", "--disable-gpu"]
VIEWPORT = {"width": 1280, "height": 900}


def in_ci() -> bool:
    """True when ``CI`` is set: the browser tests must run then, not skip."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing() -> list[str]:
    """What the browser tests need and this machine lacks."""
    out = []
    if not CHROMIUM.exists():
        out.append(f"{CHROMIUM} (run scripts/install_test_packages.sh)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        out.append("playwright (pip install -e '.[test]')")
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def served(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port) while the block runs; yields the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def chart_opener(browser: object, site: str, ready_js: str) -> Iterator[Callable[[str], tuple]]:
    """Yields ``open(name) -> (page, outside, errors)``: the page ``site + name`` in a fresh
    context, with every request that leaves ``site`` blocked and recorded in ``outside`` and the
    JavaScript errors in ``errors``; waits until ``ready_js`` is true. Closes the contexts after."""
    contexts = []

    def _open(name: str) -> tuple:
        context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)  # type: ignore[attr-defined]
        contexts.append(context)
        outside: list[str] = []
        errors: list[str] = []

        def route(r: object) -> None:
            if r.request.url.startswith(site):  # type: ignore[attr-defined]
                r.continue_()  # type: ignore[attr-defined]
            else:
                outside.append(r.request.url)  # type: ignore[attr-defined]
                r.abort()  # type: ignore[attr-defined]

        context.route("**/*", route)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(site + name, wait_until="load")
        page.wait_for_function(ready_js)
        page.wait_for_timeout(300)  # let Leaflet finish the layers after the first paint
        return page, outside, errors

    try:
        yield _open
    finally:
        for context in contexts:
            context.close()
