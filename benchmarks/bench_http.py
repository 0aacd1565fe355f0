"""HTTP/1.1 benchmark: plait-http beside twisted.web, aiohttp and uvicorn.

What is measured
----------------
``wrk`` on loopback, one thread, 64 kept-alive connections, ``GET /``
answered with a 13-byte body (``Hello, world!``) and a content-type.
The servers:

- ``plait``: plait-http (``plait_http.serve`` with an async handler),
- ``twisted.web``: a ``Resource`` whose ``render_GET`` returns the bytes,
  on the epoll reactor,
- ``aiohttp``: ``web.Application`` with one route, on asyncio,
- ``uvicorn``: a bare ASGI app, ``--http httptools`` on uvloop.

All four servers run at once, each in its own process pinned to CPU 1;
``wrk`` is pinned to CPU 0 (``taskset``). The rounds are interleaved: each
round runs wrk once against every server, so a slow phase of the machine
hits all of them alike. For each server and each measure the best round
is kept, as the other benchmarks keep the best of their runs: the most
requests per second, the lowest p99 latency and the lowest server CPU time
per request (user + system, from ``/proc``).

Rows for ``benchmarks/run.py`` keep its rule, lower is better, so that its
ratio (other / plait) above 1 means plait is better: ``http (s per 1M
requests)``, ``http p99 latency (ms)`` and ``http server CPU per request
(us)``. The requests per second themselves are printed as they come.

Run: ``python benchmarks/bench_http.py [--repeat N] [--seconds S]``; the
internal sub-command ``serve IMPL PORT`` is what the server processes run.
It needs ``wrk`` and ``taskset`` (Debian packages wrk and util-linux).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

IMPLEMENTATIONS = ("plait", "twisted.web", "aiohttp", "uvicorn")
BODY = b"Hello, world!"
CONNECTIONS = 64
SECONDS = 4
SERVER_CPU = 1
LOAD_CPU = 0

# -- servers -----------------------------------------------------------------


def _announce() -> None:
    sys.stdout.write("READY\n")
    sys.stdout.flush()


def servePlait(port: int) -> None:
    from plait.core import Reactor
    from plait_http import Response, serve

    headers = ((b"content-type", b"text/plain"),)

    async def hello(request: Any) -> Response:
        return Response(200, headers, BODY)

    reactor = Reactor()
    serve(reactor, f"tcp:{port}:interface=127.0.0.1:backlog=1024", hello)
    reactor.callWhenRunning(_announce)
    reactor.run()


def serveTwisted(port: int) -> None:
    from twisted.internet import epollreactor

    epollreactor.install()  # type: ignore[no-untyped-call]  # Twisted's API
    from twisted.internet import reactor as installed
    from twisted.web import resource, server

    reactor: Any = installed

    class Hello(resource.Resource):
        isLeaf = True

        def render_GET(self, request: Any) -> bytes:
            request.setHeader(b"content-type", b"text/plain")
            return BODY

    site = server.Site(Hello())
    reactor.listenTCP(port, site, backlog=1024, interface="127.0.0.1")
    reactor.callWhenRunning(_announce)
    reactor.run()


def serveAiohttp(port: int) -> None:
    from aiohttp import web

    async def hello(request: Any) -> web.Response:
        return web.Response(body=BODY, content_type="text/plain")

    async def ready(app: Any) -> None:
        _announce()

    app = web.Application()
    app.router.add_get("/", hello)
    app.on_startup.append(ready)
    web.run_app(
        app, host="127.0.0.1", port=port, access_log=None, print=None, backlog=1024
    )


def serveUvicorn(port: int) -> None:
    import uvicorn

    start = {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"text/plain")],
    }
    body = {"type": "http.response.body", "body": BODY}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send(start)
        await send(body)

    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        http="httptools",
        loop="uvloop",
        lifespan="off",
        log_level="warning",
        access_log=False,
        backlog=1024,
    )
    server = uvicorn.Server(config)
    _announceWhenListening(port)
    server.run()


def _announceWhenListening(port: int) -> None:
    import threading

    def probe() -> None:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                time.sleep(0.05)
                continue
            _announce()
            return

    threading.Thread(target=probe, daemon=True).start()


SERVERS = {
    "plait": servePlait,
    "twisted.web": serveTwisted,
    "aiohttp": serveAiohttp,
    "uvicorn": serveUvicorn,
}
MODULES = {
    "plait": "plait_http",
    "twisted.web": "twisted.web",
    "aiohttp": "aiohttp",
    "uvicorn": "uvicorn",
}

# -- the load ------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def parseWrk(out: str) -> tuple[float, float, int]:
    """(requests per second, p99 latency in ms, requests) from wrk --latency."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    total = re.search(r"(\d+) requests in", out)
    if rps is None or p99 is None or total is None:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad is not None:
        raise RuntimeError(f"the server answered {bad.group(1)} requests with errors")
    return (
        float(rps.group(1)),
        float(p99.group(1)) * _UNITS[p99.group(2)],
        int(total.group(1)),
    )


def _cpuSeconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _freePort() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _taskset(cpu: int) -> list[str]:
    if shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:
        return []
    return ["taskset", "-c", str(cpu)]


def _start(impl: str) -> tuple[subprocess.Popen[str], int]:
    port = _freePort()
    me = str(Path(__file__).resolve())
    server = subprocess.Popen(
        [*_taskset(SERVER_CPU), sys.executable, me, "serve", impl, str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = server.stdout.readline()
        if line.startswith("READY"):
            return server, port
        if not line and server.poll() is not None:
            break
    server.kill()
    raise RuntimeError(f"the {impl} server did not start (code {server.poll()})")


def _wrk(port: int, seconds: int) -> str:
    return subprocess.run(
        [
            *_taskset(LOAD_CPU),
            "wrk",
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--latency",
            f"http://127.0.0.1:{port}/",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout


def _available(impl: str) -> bool:
    try:
        __import__(MODULES[impl])
    except ImportError:
        return False
    return impl != "uvicorn" or (_importable("uvloop") and _importable("httptools"))


def _importable(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def measure(
    repeat: int, seconds: int = SECONDS, progress: Any = None
) -> dict[str, tuple[float, float, float]]:
    """impl -> (requests/s, p99 ms, server CPU µs per request), each the
    best over the rounds."""
    impls = [i for i in IMPLEMENTATIONS if _available(i)]
    servers = {impl: _start(impl) for impl in impls}
    best: dict[str, tuple[float, float, float]] = {}
    try:
        for impl in impls:
            _wrk(servers[impl][1], 1)  # warm up: connections, caches, JITs
        for round_ in range(repeat):
            # Each round starts with the next server, so that none always
            # runs first (or last) after the machine's quiet or busy spells.
            shift = round_ % len(impls)
            for impl in impls[shift:] + impls[:shift]:
                process, port = servers[impl]
                before = _cpuSeconds(process.pid)
                rps, p99, total = parseWrk(_wrk(port, seconds))
                cpu = (_cpuSeconds(process.pid) - before) / total * 1e6
                if progress is not None:
                    progress(
                        f"http round {round_ + 1}: {impl:12} {rps:10,.0f} req/s"
                        f"  p99 {p99:6.2f} ms  server CPU {cpu:5.1f} us/request"
                    )
                if impl not in best:
                    best[impl] = (rps, p99, cpu)
                else:
                    was = best[impl]
                    best[impl] = (max(was[0], rps), min(was[1], p99), min(was[2], cpu))
    finally:
        for process, _ in servers.values():
            process.send_signal(signal.SIGTERM)
        for process, _ in servers.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
    return best


def summary(best: dict[str, tuple[float, float, float]]) -> str:
    """The best round of each server, with plait's ratio to it."""
    mine = best.get("plait")
    lines = [
        f"{'server':14}{'req/s':>11}{'p99 ms':>9}{'CPU us/req':>12}"
        f"{'plait req/s ratio':>19}"
    ]
    for impl, (rps, p99, cpu) in best.items():
        ratio = f"{mine[0] / rps:18.2f}x" if mine else "n/a"
        lines.append(f"{impl:14}{rps:11,.0f}{p99:9.2f}{cpu:12.1f}{ratio}")
    lines.append(
        "ratio = plait's requests/s / the server's (above 1: plait serves more)"
    )
    return "\n".join(lines)


def results(repeat: int = 3) -> list[tuple[str, str, float]]:
    """Rows for run.py: lower is better in each."""
    if shutil.which("wrk") is None:
        print("(bench_http: wrk is not installed (Debian package wrk), skipped)")
        return []
    best = measure(
        min(repeat, 3), progress=lambda line: print(line, file=sys.stderr, flush=True)
    )
    print(summary(best), file=sys.stderr, flush=True)
    rows: list[tuple[str, str, float]] = []
    for impl, (rps, p99, cpu) in best.items():
        rows.append(("http (s per 1M requests)", impl, 1e6 / rps))
        rows.append(("http p99 latency (ms)", impl, p99))
        rows.append(("http server CPU per request (us)", impl, cpu))
    return rows


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table (or serve, as a sub-process)."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "serve":
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
        SERVERS[args[1]](int(args[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=SECONDS)
    opts = parser.parse_args(args)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian package wrk)")
    best = measure(
        opts.repeat,
        opts.seconds,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    print(summary(best))


if __name__ == "__main__":
    main()
