#!/usr/bin/env python3
"""Regenerate the README's screenshots in ``docs/`` from the charts the CLI writes.

Writes the beacon chart (``islandcover map --lang zh``, calm weather) and the replay chart of
梅花 2022 (``islandcover replay 梅花 --map``, which opens at its worst hour), opens them in
Debian's headless Chromium through Playwright with every request that is not ``file:`` or
``data:`` blocked, waits until the islands are drawn, and saves:

- ``docs/beacon-chart.png``        the beacon chart, 1280x800
- ``docs/beacon-chart-phone.png``  the beacon chart on a phone, 390x844 (touch)
- ``docs/replay-muifa-2022.png``   the 梅花 replay at its worst hour, 1280x800

The charts are built from the shipped data with an empty live state (a fresh state folder;
``ISLANDCOVER_DATA`` and ``ISLANDCOVER_DATABASE_URL`` are ignored), so the pictures do not
depend on this machine. Fails if the page requested anything outside itself or logged a
JavaScript error. Prints what the replay's panel shows (for the README's alt text).

Usage::

    python scripts/screenshots.py            # rewrite docs/*.png
    python scripts/screenshots.py --out DIR  # write the PNGs to DIR instead
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
        "--disable-default-apps", "--disable-sync", "--no-first-run", "--disable-gpu"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
DRAWN = "document.querySelectorAll('path.ic-island').length > 0"
REPLAY_DRAWN = f"window.icReplay !== undefined && {DRAWN}"


def write_charts(folder: Path) -> tuple[Path, Path]:
    """Run the two CLI commands (in parallel) into ``folder``; returns (beacon, replay) HTML."""
    beacon, replay = folder / "beacon.html", folder / "replay-muifa-2022.html"
    env = {k: v for k, v in os.environ.items() if k not in ("ISLANDCOVER_DATA", "ISLANDCOVER_DATABASE_URL")}
    env["ISLANDCOVER_STATE_DIR"] = str(folder / "state")
    cli = [sys.executable, "-m", "islandcover.cli"]
    jobs = [subprocess.Popen([*cli, "map", "-o", str(beacon), "--lang", "zh"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
            subprocess.Popen([*cli, "replay", "梅花", "--map", str(replay), "--lang", "zh"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)]
    for job in jobs:
        out, err = job.communicate()
        if job.returncode != 0:
            sys.exit(f"{' '.join(job.args[2:])} failed ({job.returncode}):\n{err or out}")
    return beacon, replay


def shoot(browser: object, html: Path, png: Path, viewport: dict, ready_js: str, *,
          phone: bool = False) -> object:
    """Open ``html`` offline at ``viewport``, wait until ``ready_js`` holds, save ``png``.

    Returns the context (the caller closes it) and the page, to read text from."""
    context = browser.new_context(viewport=viewport, device_scale_factor=1,  # type: ignore[attr-defined]
                                  has_touch=phone, is_mobile=phone)
    outside: list[str] = []
    errors: list[str] = []

    def route(r: object) -> None:
        url = r.request.url  # type: ignore[attr-defined]
        if url.startswith(("file:", "data:")):
            r.continue_()  # type: ignore[attr-defined]
        else:
            outside.append(url)
            r.abort()  # type: ignore[attr-defined]

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(html.as_uri(), wait_until="load")
    page.wait_for_function(ready_js, timeout=60_000)
    page.wait_for_function("document.documentElement.dataset.icLabelsPlaced", timeout=60_000)  # names placed
    page.wait_for_timeout(500)  # let Leaflet finish the layers after the first paint
    if outside or errors:
        context.close()
        sys.exit(f"{html.name} at {viewport}: requests outside the page {outside}, errors {errors}")
    page.screenshot(path=str(png))
    return context, page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DOCS, help="folder of the PNGs (default docs/)")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing (run scripts/install_test_packages.sh)")
    from playwright.sync_api import sync_playwright

    start = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        beacon, replay = write_charts(Path(tmp))
        built = time.perf_counter()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
            try:
                for html, name, viewport, ready, phone in (
                        (beacon, "beacon-chart.png", DESKTOP, DRAWN, False),
                        (beacon, "beacon-chart-phone.png", PHONE, DRAWN, True),
                        (replay, "replay-muifa-2022.png", DESKTOP, REPLAY_DRAWN, False)):
                    context, page = shoot(browser, html, args.out / name, viewport, ready, phone=phone)
                    print(f"wrote {args.out / name} ({viewport['width']}x{viewport['height']})")
                    if html is replay:
                        print("  time:  ", page.inner_text("#ic-replay-time"))
                        print("  status:", " ".join(page.inner_text("#ic-replay-status").split()))
                    context.close()
            finally:
                browser.close()
    end = time.perf_counter()
    print(f"charts {built - start:.1f} s, screenshots {end - built:.1f} s, total {end - start:.1f} s")


if __name__ == "__main__":
    main()
