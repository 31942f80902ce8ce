"""The API's own pages in headless Chromium, served by a real uvicorn: under the API's
Content-Security-Policy, with every request that leaves the server blocked.

A CSP that forbids what a page needs shows up only in a browser (the page is blank and the
console says "Refused to …"), so these are the checks that the policies allow exactly enough.
"""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from browsing import VIEWPORT


@pytest.fixture(scope="module")
def site(router, tmp_path_factory) -> Iterator[str]:
    import uvicorn

    from api.app import create_app

    app = create_app(router=router, state_dir=tmp_path_factory.mktemp("browser-api-state"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture()
def open_page(browser, site):
    """``open_page(path) -> (page, outside, errors)``; requests leaving the server are blocked and
    recorded, console errors (CSP violations among them) collected. Waiting uses selectors, not
    JavaScript of the test's own, which the page's CSP would rightly refuse to evaluate."""
    context = browser.new_context(viewport=VIEWPORT)
    outside: list[str] = []
    errors: list[str] = []

    def route(r):
        if r.request.url.startswith(site):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)

    def open_(path: str):
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(site + path, wait_until="load")
        return page, outside, errors

    yield open_
    context.close()


def test_swagger_docs_render_offline_under_their_csp(open_page):
    page, outside, errors = open_page("docs")
    page.wait_for_selector(".opblock", timeout=15_000)
    operations = page.locator(".opblock").count()
    title = page.locator(".information-container .title").inner_text()
    assert outside == []
    assert errors == []  # a CSP violation is a console error ("Refused to …")
    assert operations >= 20  # every operation of the schema is listed
    assert "islandcover" in title


def test_the_beacon_chart_draws_under_its_csp(open_page, site):
    """The API's chart carries a CSP that allows its inline scripts by hash: it must still draw
    every island and beacon, with no violation in the console."""
    page, outside, errors = open_page("map?lang=en")
    page.wait_for_selector("path.ic-island", timeout=15_000)
    page.wait_for_timeout(300)
    islands = page.locator("path.ic-island").count()
    beacons = page.locator(".ic-beacon").count()
    assert outside == []
    assert errors == []
    assert islands > 500  # every island of the shipped data (569), not a blank page
    assert beacons == 12


def test_the_chart_csp_is_not_a_blanket_allowance(site):
    import httpx

    r = httpx.get(site + "map", timeout=60)
    csp = r.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert "'unsafe-eval'" not in csp and "frame-ancestors 'none'" in csp
    assert "https://tile.openstreetmap.org" in csp  # the optional tile layer, off until asked for
