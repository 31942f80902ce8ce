"""Load benchmark of the API (issue 14): does public chart load slow dispatch?

For each server configuration the benchmark starts a real server (``islandcover serve``, a
subprocess, with ``--workers N``) on a new temporary state folder: ``off`` is the server as
before (no answer cache, no public lane: the baseline), ``cache`` has the answer caches of
:mod:`api.cache` only, ``on`` has them and the public lane of :mod:`api.priority`. It measures
``GET /nearest`` with 1, 10 and 50 concurrent clients, first alone, then beside 20 concurrent
``GET /map`` clients. Every client is a thread with its own keep-alive HTTP connection that sends
its next request when the last one is answered (a closed loop). The map clients run in a
separate process, so that reading ~1 MB pages does not slow the measuring process; they fetch the
whole page every time (no ``If-None-Match``: a browser's first visit) and accept gzip, as
browsers do (``--map-clients-ask`` changes that).

Queries cycle over every powered island at winds 0, 5 and 7 (k = 3), so 159 distinct answers,
each asked as often as the others (the worst case for a cache); one pass over them warms the
server before the first window, as a server in service would be. A dispatcher write goes in
every ``--write-every`` seconds (default 10: a team taken off duty or back, each team in turn):
it changes a live status, so the kept answers that depend on that team are dropped and refilled
during the run. Every request sent in a
window is waited for and counted, however slow.

Reported per window: p50 and p99 latency, answers per second, and the server's CPU per answer
(all its processes, ``alone`` windows only: nothing else runs on the server then); per
configuration: start-up time, resident memory per worker, and ``GET /health`` at the largest
number of clients (the floor: what the HTTP stack costs for an endpoint that does nothing).
Then the ratios against the baseline of the same run, and beside-map / alone p99 against the
issue's goals (p99 < 20 ms at 50 clients; beside the map load within 2x of alone).

Run: ``python bench/bench_api_load.py [--seconds 5] [--configs off:1,cache:1,on:1,on:2]``.
Client and server share this machine's cores: the figures include the client's own cost.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event as MpEvent
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
WINDS = (0, 5, 7)
MAP_QUERIES = ("/map?lang=zh", "/map?lang=en", "/map?lang=zh&wind=8", "/map?lang=en&wind=8")


# ---------------------------------------------------------------------- the server
# ---------------------------------------------------------------------- processes (Linux /proc)
_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()  # fields after the command name, from field 3 (state)


def descendants(pid: int) -> list[int]:
    """``pid`` and every process under it."""
    parent: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parent[int(d.name)] = int(_stat(int(d.name))[1])
            except (OSError, ValueError):
                pass
    out, todo = [pid], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out += kids
        todo += kids
    return out


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used by one process so far."""
    f = _stat(pid)
    return (int(f[11]) + int(f[12])) / _TICK


def rss_mb(pid: int) -> float:
    """Resident memory of one process, MB."""
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE / 1e6


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")


# ---------------------------------------------------------------------- the server
@dataclass
class Server:
    """A running ``islandcover serve`` subprocess."""

    proc: subprocess.Popen[bytes]
    port: int
    workers: int
    log: Path
    startup_s: float
    key: str

    def serving(self) -> list[int]:
        """The processes that answer requests: the only one, or the workers under uvicorn's supervisor."""
        if self.workers == 1:
            return [self.proc.pid]
        return [p for p in descendants(self.proc.pid)[1:] if "spawn_main" in cmdline(p)]

    def cpu_s(self) -> float:
        """CPU seconds used so far by the server and its workers."""
        total = 0.0
        for p in descendants(self.proc.pid):
            try:
                total += cpu_s(p)
            except OSError:
                pass
        return total

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each serving process, MB."""
        return [rss_mb(p) for p in self.serving()]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: What each configuration sets: (answer caches, public lanes; 0 = no limit).
CONFIGS = {"off": ("0", "0"), "cache": ("1", "0"), "on": ("1", "1")}


def start_server(config: str, workers: int, state_root: Path) -> Server:
    """Start ``islandcover serve`` in one of :data:`CONFIGS`; wait until every worker answers."""
    state_dir = Path(tempfile.mkdtemp(prefix=f"state-{config}-{workers}-", dir=state_root))
    cache, lanes = CONFIGS[config]
    env = dict(os.environ, ISLANDCOVER_API_CACHE=cache, ISLANDCOVER_PUBLIC_LANES=lanes, PYTHONPATH=str(ROOT))
    key = subprocess.run([sys.executable, "-m", "islandcover.cli", "keys", "create", "--role", "dispatcher",
                          "--state-dir", str(state_dir)], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.split()[0]
    port = free_port()
    log = state_dir / "server.log"  # uvicorn's log and access log (one line per request), as in service
    t0 = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "islandcover.cli", "serve", "--port", str(port),
                                 "--workers", str(workers), "--state-dir", str(state_dir)],
                                env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/health")
            ok = c.getresponse().status == 200
            c.close()
            if ok:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("server did not answer /health within 300 s")
        time.sleep(0.1)
    srv = Server(proc, port, workers, log, 0.0, key)
    if workers > 1:  # /health came from the first worker up; wait until every one has loaded its model
        while len(srv.serving()) < workers or log.read_text().count("Application startup complete") < workers:
            if time.monotonic() > deadline or proc.poll() is not None:
                srv.stop()
                raise RuntimeError(f"not every worker started: {log.read_text()[-2000:]}")
            time.sleep(0.1)
    srv.startup_s = time.perf_counter() - t0
    return srv


# ---------------------------------------------------------------------- clients
def _get(conn: http.client.HTTPConnection, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, str | None]:
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    body = r.read()
    return r.status, body, r.getheader("ETag")


@dataclass
class Window:
    """One measurement: /nearest at some concurrency, alone or beside the map load."""

    clients: int
    load: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    cpu_s: float = 0.0
    maps: int = 0

    def pct(self, q: float) -> float:
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else float("nan")


def nearest_window(port: int, paths: list[str], clients: int, seconds: float, load: str,
                   cpu: Callable[[], float], maps: Callable[[], int]) -> Window:
    """``clients`` threads asking /nearest in a closed loop for ``seconds``.

    Every request sent before the window closes is waited for and counted (a slow answer is not
    left out); the window lasts until the last of them is answered.
    """
    w = Window(clients, load)
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop = threading.Event()
    last = [0.0]

    def run(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        lat: list[float] = []
        errs = 0
        j = i * 7
        start.wait()
        while not stop.is_set():
            path = paths[j % len(paths)]
            j += 1
            t = time.perf_counter()
            try:
                status, _, _ = _get(conn, path)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                errs += 1
                continue
            if status == 200:
                lat.append((time.perf_counter() - t) * 1000)
            else:
                errs += 1
        conn.close()
        with lock:
            w.latencies_ms.extend(lat)
            w.errors += errs
            last[0] = max(last[0], time.perf_counter())

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    c0, m0, t0 = cpu(), maps(), time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(timeout=300)
    w.seconds = last[0] - t0
    w.cpu_s, w.maps = cpu() - c0, maps() - m0
    return w


def _map_client(port: int, path: str, how: str, stop: MpEvent, done: Synchronized[int]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    etag: str | None = None
    headers = {} if how == "plain" else {"Accept-Encoding": "gzip, deflate, br"}
    while not stop.is_set():
        try:
            status, _, tag = _get(conn, path, {**headers, "If-None-Match": etag}
                                  if how == "revalidate" and etag else headers)
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            continue
        if status in (200, 304):
            etag = tag or etag
            with done.get_lock():
                done.value += 1


def map_load(port: int, clients: int, how: str, stop: MpEvent, done: Synchronized[int]) -> None:
    """The public: ``clients`` threads fetching beacon charts in a closed loop (own process)."""
    threads = [threading.Thread(target=_map_client, daemon=True,
                                args=(port, MAP_QUERIES[i % len(MAP_QUERIES)], how, stop, done))
               for i in range(clients)]
    for t in threads:
        t.start()
    stop.wait()
    for t in threads:
        t.join(timeout=600)


def writer(port: int, key: str, teams: list[str], every_s: float, stop: threading.Event, count: list[int]) -> None:
    """A dispatcher taking a team off duty and back every ``every_s`` seconds, each team in turn.

    Each write changes a live status, so the kept /nearest answers that depend on that team are
    dropped. ``count`` gets [writes done, writes failed]. A new connection each time (the server
    closes idle ones after 5 s).
    """
    i = 0
    while not stop.wait(every_s):
        team = teams[(i // 2) % len(teams)]
        body = json.dumps({"status": "off-duty" if i % 2 == 0 else "available"})
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            conn.request("PATCH", f"/teams/{team}", body=body,
                         headers={"X-API-Key": key, "Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            ok = r.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
        finally:
            conn.close()
        count[0 if ok else 1] += 1
        i += ok


def warm(port: int, paths: list[str], passes: int) -> None:
    """Ask every path ``passes`` times, from four threads (with several workers, each answer lands
    on one of them: a pass per worker warms most of each)."""
    todo = [p for _ in range(passes) for p in paths]

    def run(part: list[str]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for path in part:
            _get(conn, path)
        conn.close()

    threads = [threading.Thread(target=run, args=(todo[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# ---------------------------------------------------------------------- one configuration
@dataclass
class Result:
    name: str
    config: str
    workers: int
    startup_s: float
    rss_mb: list[float]
    writes: list[int]
    windows: list[Window]
    floor: Window

    def window(self, load: str, clients: int) -> Window:
        return next(w for w in self.windows if w.load == load and w.clients == clients)


def run_config(config: str, workers: int, args: argparse.Namespace, state_root: Path) -> Result:
    what = {"off": "no cache, no lane", "cache": "cache, no lane", "on": "cache + lane"}[config]
    name = f"{what}, {workers} worker{'s' if workers > 1 else ''}"
    print(f"\n== {name}", flush=True)
    srv = start_server(config, workers, state_root)
    print(f"   started in {srv.startup_s:.1f} s; resident memory per worker "
          f"{', '.join(f'{m:.0f}' for m in srv.worker_rss_mb())} MB", flush=True)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        _, body, _ = _get(conn, "/islands?powered=true")
        conn.close()
        ids = [f["properties"]["id"] for f in json.loads(body)["features"]]
        paths = [f"/nearest?island={quote(i)}&wind={w}&k=3" for w in WINDS for i in ids]
        # in service the server has been up a while: the router's searches (one Dijkstra per vessel
        # and wind, ~0.5 s each, kept for the life of the process) and, when caching, the answers
        # are there before the first window; the writer then empties the answer caches every few s
        warm(srv.port, paths, workers)
        # the floor: an endpoint that does nothing but go through the same stack
        floor = nearest_window(srv.port, ["/health"], max(args.clients), args.seconds, "floor", srv.cpu_s, lambda: 0)
        print(f"   /health at {max(args.clients)} clients (the stack alone): p50 {floor.pct(0.5):.1f} ms  "
              f"p99 {floor.pct(0.99):.1f} ms  {floor.rate:.0f} req/s, server CPU "
              f"{1000 * floor.cpu_s / max(1, len(floor.latencies_ms)):.2f} ms/answer", flush=True)
        stop_w = threading.Event()
        writes = [0, 0]
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        _, body, _ = _get(conn, "/teams")
        conn.close()
        teams = [t["id"] for t in json.loads(body)]
        wt = threading.Thread(target=writer, args=(srv.port, srv.key, teams, args.write_every, stop_w, writes),
                              daemon=True)
        if args.write_every > 0:
            wt.start()
        ctx = mp.get_context("spawn")
        done = ctx.Value("q", 0)
        windows: list[Window] = []
        for load in ("alone", "beside map"):
            stop_m = ctx.Event()
            proc = None
            if load != "alone":
                proc = ctx.Process(target=map_load, args=(srv.port, args.map_clients, args.map_clients_ask, stop_m, done))
                proc.start()
                # until every chart has been served once (rendered, when cached), or --ramp seconds
                deadline = time.monotonic() + args.ramp
                while done.value < len(MAP_QUERIES) and time.monotonic() < deadline:
                    time.sleep(0.1)
            for c in args.clients:
                w = nearest_window(srv.port, paths, c, args.seconds, load, srv.cpu_s, lambda: int(done.value))
                windows.append(w)
                extra = f", maps {w.maps / w.seconds:.1f}/s" if load != "alone" else \
                    f", server CPU {1000 * w.cpu_s / max(1, len(w.latencies_ms)):.2f} ms/answer"
                print(f"   {load:10s} {c:3d} clients: p50 {w.pct(0.5):8.1f} ms  p99 {w.pct(0.99):8.1f} ms  "
                      f"{w.rate:7.1f} req/s{extra}  errors {w.errors}", flush=True)
            if proc is not None:
                stop_m.set()
                proc.join(timeout=600)
                if proc.is_alive():
                    proc.terminate()
        stop_w.set()
        if wt.is_alive():
            wt.join(timeout=60)
        return Result(name, config, workers, srv.startup_s, srv.worker_rss_mb(), writes, windows, floor)
    finally:
        srv.stop()


# ---------------------------------------------------------------------- report
def _f(x: float) -> str:
    return f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def report(results: list[Result], args: argparse.Namespace) -> None:
    print("\n| server | load | clients | p50 ms | p99 ms | req/s | server CPU ms/answer | maps/s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        for w in r.windows:
            cpu = _f(1000 * w.cpu_s / max(1, len(w.latencies_ms))) if w.load == "alone" else ""
            maps = _f(w.maps / w.seconds) if w.load != "alone" else ""
            print(f"| {r.name} | {w.load} | {w.clients} | {_f(w.pct(0.5))} | {_f(w.pct(0.99))} | {w.rate:.0f} | {cpu} | {maps} |")
    print()
    for r in results:
        f = r.floor
        print(f"{r.name}: start-up {r.startup_s:.1f} s, resident memory per worker "
              f"{', '.join(f'{m:.0f}' for m in r.rss_mb)} MB, {r.writes[0]} writes during the run"
              + (f" ({r.writes[1]} failed)" if r.writes[1] else "")
              + f"; GET /health at {f.clients} clients: p50 {_f(f.pct(0.5))} ms, p99 {_f(f.pct(0.99))} ms, "
                f"{f.rate:.0f} req/s")
    base = next((r for r in results if r.config == "off"), None)
    if base is not None:
        print(f"\nratios against the baseline ({base.name}, same run): latency baseline / this, "
              "throughput this / baseline")
        print("\n| server | load | clients | p50 | p99 | req/s | server CPU ms/answer |")
        print("|---|---|---|---|---|---|---|")
        for r in results:
            if r is base:
                continue
            for load in ("alone", "beside map"):
                for c in args.clients:
                    w, b = r.window(load, c), base.window(load, c)
                    cpu = (f"{_f(1000 * b.cpu_s / max(1, len(b.latencies_ms)))} → "
                           f"{_f(1000 * w.cpu_s / max(1, len(w.latencies_ms)))}") if load == "alone" else ""
                    print(f"| {r.name} | {load} | {c} | {_ratio(b.pct(0.5), w.pct(0.5))} | "
                          f"{_ratio(b.pct(0.99), w.pct(0.99))} | {_ratio(w.rate, b.rate)} | {cpu} |")
    print("\ngoals (issue 14):")
    top = max(args.clients)
    for r in results:
        alone = r.window("alone", top)
        print(f"  {r.name}: p99 at {top} clients {_f(alone.pct(0.99))} ms (goal < 20 ms: "
              f"{'met' if alone.pct(0.99) < 20 else 'MISSED'}); ", end="")
        ratios = [r.window("beside map", c).pct(0.99) / r.window("alone", c).pct(0.99) for c in args.clients]
        print("beside map / alone p99: " + ", ".join(f"{c} clients {x:.2f}x" for c, x in zip(args.clients, ratios))
              + f" (goal ≤ 2x: {'met' if max(ratios) <= 2 else 'MISSED'})")


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b > 0 else "n/a"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=5.0, help="length of each measurement window (default 5)")
    ap.add_argument("--clients", type=lambda s: [int(x) for x in s.split(",")], default=[1, 10, 50],
                    help="concurrent /nearest clients, comma-separated (default 1,10,50)")
    ap.add_argument("--map-clients", type=int, default=20, help="concurrent /map clients (default 20)")
    ap.add_argument("--map-clients-ask", choices=("gzip", "plain", "revalidate"), default="gzip",
                    help="map clients accept gzip and fetch the whole page each time (default, a browser's "
                         "first visit), or accept no encoding (plain: the most bytes), or accept gzip and "
                         "send If-None-Match with the ETag they got (revalidate: a browser's later visits)")
    ap.add_argument("--ramp", type=float, default=15.0,
                    help="map load before measuring: until each chart was served once, at most this many "
                         "seconds (default 15)")
    ap.add_argument("--write-every", type=float, default=10.0,
                    help="seconds between dispatcher writes that change a team's status, 0 for none (default 10)")
    ap.add_argument("--configs", default="off:1,cache:1,on:1,on:2",
                    help="server configurations NAME:WORKERS, NAME one of off, cache, on (default off:1,cache:1,on:1,on:2)")
    args = ap.parse_args()
    configs = [(c.split(":")[0], int(c.split(":")[1])) for c in args.configs.split(",")]
    unknown = [c for c, _ in configs if c not in CONFIGS]
    if unknown:
        ap.error(f"unknown configuration {unknown[0]!r}: use {', '.join(CONFIGS)}")
    print(f"{os.cpu_count()} cores; /nearest windows of {args.seconds:g} s at {args.clients} clients, "
          f"{args.map_clients} map clients ({args.map_clients_ask}), "
          f"a write every {args.write_every:g} s", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        results = [run_config(config, workers, args, Path(tmp)) for config, workers in configs]
    report(results, args)


if __name__ == "__main__":
    main()
