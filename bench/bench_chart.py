#!/usr/bin/env python3
"""How big the beacon charts are and how long they take to draw offline, against a bare map.

The budget (issue 18): under 3 MB and drawn in under 2 s with no network. Each chart is opened
from ``file://`` in headless Chromium with every other request aborted, and timed from the start
of navigation until its islands are drawn and the island names placed (the page is idle). The
baseline, measured in the same run, is a bare Leaflet page (the same vendored Leaflet, inlined)
drawing the same island polygons and nothing else: the ratio says what the chart's extras cost.

Usage::

    python3 bench/bench_chart.py [--runs 5]

Needs Chromium and playwright (``bash scripts/install_test_packages.sh``, ``pip install -e '.[test]'``).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
# drawn: the island paths are in the DOM and two animation frames have passed after the load event
READY = """() => new Promise(done => {
  const check = () => document.querySelectorAll('path.ic-island, path.ic-bare').length > 0
      ? requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now())))
      : setTimeout(check, 5);
  if (document.readyState === 'complete') check(); else addEventListener('load', check);
})"""


def _cli(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "islandcover.cli", *args], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"bench_chart: islandcover {' '.join(args)} failed: {done.stderr.strip()}")


def _bare_map(path: Path) -> None:
    """A page with the vendored Leaflet inlined and the island polygons as one GeoJSON layer."""
    web = ROOT / "islandcover" / "web" / "leaflet"
    islands = (ROOT / "data" / "islands" / "islands.geojson").read_text(encoding="utf-8")
    path.write_text(f"""<!doctype html><html><head><meta charset="utf-8">
<style>{(web / "leaflet.css").read_text(encoding="utf-8")} html,body,#m{{height:100%;margin:0}}</style>
<script>{(web / "leaflet.js").read_text(encoding="utf-8")}</script></head>
<body><div id="m"></div><script>
const map = L.map('m').setView([30.2, 122.3], 9);
L.geoJSON({islands}, {{style: () => ({{className: 'ic-bare', weight: 1}})}}).addTo(map);
</script></body></html>""", encoding="utf-8")


def _time(page: object, path: Path) -> float:
    page.goto(path.as_uri(), wait_until="commit")  # type: ignore[attr-defined]
    return float(page.evaluate(READY)) / 1000.0  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed openings of each page (median reported)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="bench-chart-"))
    env = {**os.environ, "ISLANDCOVER_STATE_DIR": str(tmp / "state")}
    env.pop("ISLANDCOVER_DATA", None)
    pages = {"bare Leaflet + islands (baseline)": tmp / "bare.html"}
    _bare_map(pages["bare Leaflet + islands (baseline)"])
    t0 = time.perf_counter()
    for label, extra in (("beacon chart, calm, zh", []), ("beacon chart, wind 8, en", ["--wind", "8", "--lang", "en"])):
        pages[label] = tmp / f"{len(pages)}.html"
        _cli(["map", "-o", str(pages[label]), *extra], env)
    pages["replay chart, 梅花, zh"] = tmp / "replay.html"
    _cli(["replay", "梅花", "--map", str(pages["replay chart, 梅花, zh"])], env)
    print(f"charts written in {time.perf_counter() - t0:.1f} s")

    results = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for label, path in pages.items():
            ctx = browser.new_context(viewport={"width": 1280, "height": 800})
            ctx.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                      else route.abort())
            page = ctx.new_page()
            _time(page, path)  # warm the browser's caches once
            times = [_time(page, path) for _ in range(args.runs)]
            results[label] = {"bytes": path.stat().st_size, "draw_s": statistics.median(times)}
            ctx.close()
        browser.close()
    base = results["bare Leaflet + islands (baseline)"]["draw_s"]
    print(f"{'page':<36} {'size':>10} {'drawn in':>9} {'vs baseline':>12}")
    for label, r in results.items():
        print(f"{label:<36} {r['bytes'] / 1e6:>8.2f} MB {r['draw_s']:>7.2f} s {r['draw_s'] / base:>11.1f}×")
    worst = max(r["draw_s"] for k, r in results.items() if k.startswith("beacon"))
    big = max(r["bytes"] for r in results.values())
    print(f"budget: beacon charts drawn in ≤ 2 s: {'met' if worst <= 2 else 'MISSED'} ({worst:.2f} s); "
          f"every chart under 3 MB: {'met' if big < 3e6 else 'MISSED'} ({big / 1e6:.2f} MB)")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
