"""TCP and TLS benchmarks: plait beside Twisted, asyncio and uvloop.

What is measured
----------------
Every server runs in its own process; ONE load generator (a separate
process, built on uvloop when it is installed, else plain asyncio, and
blocking sockets for bulk transfer) drives all of them identically, so the
numbers compare the server implementations only.

- ``echo``: 10 connections, each keeping 4 messages of 1 KiB in flight,
  400,000 round trips in all; the server writes back what it reads.
- ``bulk``: the server sends 1 GiB in 64 KiB writes as fast as flow
  control lets it (a producer paused and resumed by the transport); the
  client reads with a blocking ``recv_into``.
- ``tls-echo``: ``echo`` over TLS 1.3 (150,000 round trips).
- ``tls-handshakes``: 3,000 fresh TLS connections, 10 at a time; the client
  closes each once its handshake is done. The time is dominated by the
  cryptography. The servers run with their own defaults: plait and the
  standard ``ssl`` module issue TLS 1.3 session tickets (so a client can
  resume), Twisted turns resumption off and so does less work per
  handshake.
- ``tls-handshakes-tickets`` and ``tls-handshakes-notickets``: the same
  load with one session-ticket policy imposed on every server, so that all
  do the same cryptographic work: tickets issued (Twisted with
  ``enableSessionTickets=True``), or none (plait with
  ``resumption=False``, the standard ``ssl`` module with ``OP_NO_TICKET``
  and ``num_tickets = 0``).

Each result is the best of ``repeat`` rounds (seconds, lower is better);
every round runs each implementation once, on a fresh server warmed up by
one uncounted load, so the implementations are interleaved in time. The
server and the load generator are each kept on a CPU of their own (where
there are two or more), so that neither waits for the other to be moved.
Besides the wall time, the server's CPU time in that run is given twice: in
all, and in user space alone. On loopback most of a TCP server's CPU time
is the kernel's TCP stack, the same for every implementation; the user time
is what the implementation itself costs.
``main()`` prints a table with ratios ``other / plait``: above 1 means plait
was faster. TLS is compared with Twisted (and asyncio/uvloop, whose TLS runs
in the standard ``ssl`` module).

Run: ``python benchmarks/bench_tcp.py [--repeat N] [--quick] [--only NAME]``.
The internal sub-commands ``serve`` and ``load`` are what the processes run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import functools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

IMPLEMENTATIONS = ("plait", "twisted", "asyncio", "uvloop")
TLS_IMPLEMENTATIONS = ("plait", "twisted", "asyncio", "uvloop")

MESSAGE = 1024
CONNECTIONS = 10
WINDOW = 4
CHUNK = 64 * 1024

SIZES = {
    "echo": 400_000,
    "bulk": 1024 * 1024 * 1024,
    "tls-echo": 150_000,
    "tls-handshakes": 3_000,
    "tls-handshakes-tickets": 3_000,
    "tls-handshakes-notickets": 3_000,
}
QUICK = {
    "echo": 20_000,
    "bulk": 32 * 1024 * 1024,
    "tls-echo": 8_000,
    "tls-handshakes": 100,
    "tls-handshakes-tickets": 100,
    "tls-handshakes-notickets": 100,
}
#: The session-ticket policy a handshake benchmark imposes on every server
#: alike; absent, each server keeps its own default.
TICKETS = {"tls-handshakes-tickets": True, "tls-handshakes-notickets": False}

BENCHMARKS = tuple(SIZES)


# -- certificates ------------------------------------------------------------


def makeCertificates(directory: Path) -> None:
    """A throwaway CA and a localhost certificate (EC P-256) in ``directory``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    now = datetime.datetime.now(datetime.timezone.utc)
    caKey = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("bench CA"))
        .issuer_name(name("bench CA"))
        .public_key(caKey.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(caKey, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False
        )
        .sign(caKey, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (directory / "ca.pem").write_bytes(ca.public_bytes(pem))
    (directory / "cert.pem").write_bytes(cert.public_bytes(pem))
    (directory / "key.pem").write_bytes(
        key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


# -- servers -------------------------------------------------------------------


def _announce(port: int) -> None:
    sys.stdout.write(f"PORT {port}\n")
    sys.stdout.flush()


def servePlait(kind: str, size: int, certs: Path) -> None:
    from plait.core import Factory, Protocol, Reactor
    from plait.tcp import optionsForServerTLS

    class Echo(Protocol):
        def dataReceived(self, data: bytes) -> None:
            self.transport.write(data)

    class Bulk(Protocol):
        def connectionMade(self) -> None:
            self.left = size
            self.paused = False
            self.transport.registerProducer(self, True)
            self.resumeProducing()

        def pauseProducing(self) -> None:
            self.paused = True

        def resumeProducing(self) -> None:
            self.paused = False
            block = _BLOCK
            write = self.transport.write
            while not self.paused and self.left > 0:
                write(block)
                self.left -= len(block)
            if self.left <= 0 and not self.paused:
                self.transport.unregisterProducer()
                self.transport.loseConnection()
                self.left = 0
                self.paused = True

        def stopProducing(self) -> None:
            self.paused = True

    reactor = Reactor()
    factory = Factory.forProtocol(Bulk if kind == "bulk" else Echo)
    if kind.startswith("tls"):
        options = optionsForServerTLS(
            certs / "cert.pem", certs / "key.pem", resumption=TICKETS.get(kind, True)
        )
        port = reactor.listenSSL(0, factory, options, interface="127.0.0.1")
    else:
        port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    reactor.callWhenRunning(_announce, port.getHost().port)
    reactor.run()


def serveTwisted(kind: str, size: int, certs: Path) -> None:
    from twisted.internet import epollreactor

    epollreactor.install()  # type: ignore[no-untyped-call]  # Twisted's API
    from twisted.internet import reactor as installed
    from twisted.internet import ssl
    from twisted.internet.interfaces import IPushProducer
    from twisted.internet.protocol import Factory, Protocol
    from zope.interface import implementer

    reactor: Any = installed

    class Echo(Protocol):
        transport: Any

        def dataReceived(self, data: bytes) -> None:
            self.transport.write(data)

    @implementer(IPushProducer)
    class Bulk(Protocol):
        transport: Any

        def connectionMade(self) -> None:
            self.left = size
            self.paused = False
            self.transport.registerProducer(self, True)
            self.resumeProducing()

        def pauseProducing(self) -> None:
            self.paused = True

        def resumeProducing(self) -> None:
            self.paused = False
            block = _BLOCK
            write = self.transport.write
            while not self.paused and self.left > 0:
                write(block)
                self.left -= len(block)
            if self.left <= 0 and not self.paused:
                self.transport.unregisterProducer()
                self.transport.loseConnection()
                self.left = 0
                self.paused = True

        def stopProducing(self) -> None:
            self.paused = True

    factory: Any = Factory.forProtocol(Bulk if kind == "bulk" else Echo)
    if kind.startswith("tls"):
        pem = (certs / "cert.pem").read_text() + (certs / "key.pem").read_text()
        cert: Any = ssl.PrivateCertificate.loadPEM(pem)  # type: ignore[no-untyped-call]  # Twisted's API
        options = cert.options()
        if kind in TICKETS:
            options = ssl.CertificateOptions(
                privateKey=cert.privateKey.original,
                certificate=cert.original,
                enableSessionTickets=TICKETS[kind],
            )
        port = reactor.listenSSL(0, factory, options, interface="127.0.0.1")
    else:
        port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    reactor.callWhenRunning(_announce, port.getHost().port)
    reactor.run()


def serveAsyncio(kind: str, size: int, certs: Path, useUvloop: bool) -> None:
    import ssl

    class Echo(asyncio.Protocol):
        def connection_made(self, transport: Any) -> None:
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            self.transport.write(data)

    class Bulk(asyncio.Protocol):
        def connection_made(self, transport: Any) -> None:
            self.transport = transport
            self.left = size
            self.paused = False
            self.closing = False
            self.resume_writing()

        def pause_writing(self) -> None:
            self.paused = True

        def resume_writing(self) -> None:
            self.paused = False
            block = _BLOCK
            write = self.transport.write
            while not self.paused and self.left > 0:
                write(block)
                self.left -= len(block)
            if self.left <= 0 and not self.closing:
                # Not close() right here: asyncio's selector transport, when
                # resume_writing is called from its own flush, would then
                # report connection_lost twice.
                self.closing = True
                asyncio.get_running_loop().call_soon(self.transport.close)

    context = None
    if kind.startswith("tls"):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certs / "cert.pem", certs / "key.pem")
        if TICKETS.get(kind) is False:
            context.options |= ssl.OP_NO_TICKET
            context.num_tickets = 0

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            Bulk if kind == "bulk" else Echo, "127.0.0.1", 0, ssl=context
        )
        _announce(server.sockets[0].getsockname()[1])
        await asyncio.Event().wait()

    if useUvloop:
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())


_BLOCK = b"\xa5" * CHUNK


def serve(impl: str, kind: str, size: int, certs: Path) -> None:
    """Run one server until killed."""
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    if impl == "plait":
        servePlait(kind, size, certs)
    elif impl == "twisted":
        serveTwisted(kind, size, certs)
    else:
        serveAsyncio(kind, size, certs, impl == "uvloop")


# -- the load generator ----------------------------------------------------------


def _loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class _EchoClient(asyncio.Protocol):
    def __init__(self, trips: int, done: asyncio.Future[None]) -> None:
        self.trips = trips
        self.sent = 0
        self.received = 0
        self.done = done
        self.message = b"m" * MESSAGE

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        for _ in range(min(WINDOW, self.trips)):
            transport.write(self.message)
            self.sent += 1

    def data_received(self, data: bytes) -> None:
        before = self.received // MESSAGE
        self.received += len(data)
        answered = min(self.received // MESSAGE - before, self.trips - self.sent)
        if answered > 0:
            # One write for all the replies owed: the generator must stay
            # cheaper than the servers it measures.
            self.transport.write(self.message * answered)
            self.sent += answered
        if self.received >= self.trips * MESSAGE:
            self.transport.close()
            if not self.done.done():
                self.done.set_result(None)


def _clientContext(certs: Path) -> Any:
    import ssl

    context = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    return context


async def _echoLoad(port: int, trips: int, certs: Path | None) -> float:
    loop = asyncio.get_running_loop()
    context = _clientContext(certs) if certs is not None else None
    per = trips // CONNECTIONS
    futures = [loop.create_future() for _ in range(CONNECTIONS)]
    started = time.perf_counter()
    for future in futures:
        await loop.create_connection(
            functools.partial(_EchoClient, per, future),
            "127.0.0.1",
            port,
            ssl=context,
            server_hostname="localhost" if context else None,
        )
    await asyncio.gather(*futures)
    return time.perf_counter() - started


async def _handshakeLoad(port: int, count: int, certs: Path) -> float:
    loop = asyncio.get_running_loop()
    context = _clientContext(certs)
    remaining = count

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            transport, _ = await loop.create_connection(
                asyncio.Protocol,
                "127.0.0.1",
                port,
                ssl=context,
                server_hostname="localhost",
            )
            transport.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    return time.perf_counter() - started


def _bulkLoad(port: int, size: int) -> float:
    buffer = bytearray(1024 * 1024)
    view = memoryview(buffer)
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        total = 0
        while True:
            n = sock.recv_into(view)
            if not n:
                break
            total += n
    elapsed = time.perf_counter() - started
    if total != size:
        raise RuntimeError(f"bulk transfer delivered {total} bytes, not {size}")
    return elapsed


def load(kind: str, port: int, size: int, certs: Path) -> float:
    """Drive one benchmark against the server on ``port``; return seconds."""
    if kind == "bulk":
        return _bulkLoad(port, size)
    loop = _loop()
    try:
        if kind == "echo":
            return loop.run_until_complete(_echoLoad(port, size, None))
        if kind == "tls-echo":
            return loop.run_until_complete(_echoLoad(port, size, certs))
        return loop.run_until_complete(_handshakeLoad(port, size, certs))
    finally:
        loop.close()


# -- orchestration ---------------------------------------------------------------


def _available(impl: str) -> bool:
    module = {"plait": "plait.tcp", "twisted": "twisted", "uvloop": "uvloop"}.get(impl)
    if module is None:
        return True
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def _waitForPort(server: subprocess.Popen[str], timeout: float = 30.0) -> int:
    assert server.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = server.stdout.readline()
        if line.startswith("PORT "):
            return int(line.split()[1])
        if not line and server.poll() is not None:
            break
    raise RuntimeError(f"the benchmark server exited or stalled (code {server.poll()})")


def _pinTo(cpu: int) -> Callable[[], None] | None:
    """Keep a process on one CPU (server and load on different ones), so the
    scheduler does not move them around mid-run; None where it cannot."""
    if not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def _cpuSeconds(pid: int) -> tuple[float, float] | None:
    """(user, system) CPU seconds of process ``pid`` (Linux), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def runOne(
    kind: str,
    impl: str,
    size: int,
    repeat: int,
    certs: Path,
    script: str | None = None,
    warmup: bool = False,
) -> tuple[float, tuple[float, float] | None]:
    """Best wall time of ``repeat`` runs of ``kind`` against ``impl``, and the
    server's (user, system) CPU time in that best run (None where it cannot
    be read). ``script`` is the benchmark file whose ``serve`` and ``load``
    sub-commands run the two sides (this one by default). With ``warmup``
    one load runs first and is not counted: a server is measured in its
    steady state (asyncio's first connections, for one, read into freshly
    mapped 256 KiB buffers until glibc raises its mmap threshold)."""
    me = script or str(Path(__file__).resolve())
    server = subprocess.Popen(
        [sys.executable, me, "serve", impl, kind, str(size), str(certs)],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=_pinTo(1),
    )
    try:
        port = _waitForPort(server)
        best: float = float("inf")
        bestCpu: tuple[float, float] | None = None
        for round in range(repeat + 1 if warmup else repeat):
            before = _cpuSeconds(server.pid)
            out = subprocess.run(
                [sys.executable, me, "load", kind, str(port), str(size), str(certs)],
                capture_output=True,
                text=True,
                check=True,
                timeout=600,
                preexec_fn=_pinTo(0),
            ).stdout
            after = _cpuSeconds(server.pid)
            seconds = float(out.split()[-1])
            if warmup and round == 0:
                continue
            if seconds < best:
                best = seconds
                if before is None or after is None:
                    bestCpu = None
                else:
                    bestCpu = (after[0] - before[0], after[1] - before[1])
        return best, bestCpu
    finally:
        stopServer(server)


def stopServer(server: subprocess.Popen[str]) -> None:
    """End a benchmark server: politely, then for sure."""
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    if server.stdout is not None:
        server.stdout.close()


def interleaved(
    kind: str,
    impls: list[str],
    size: int,
    repeat: int,
    certs: Path,
    script: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[tuple[str, str, float]]:
    """Rows for ``kind``: ``repeat`` rounds, each running every implementation
    once (a fresh, warmed-up server each), so that a slow patch of the
    machine hits all of them alike; the best round of each is kept."""
    best: dict[str, tuple[float, tuple[float, float] | None]] = {}
    for _ in range(repeat):
        for impl in impls:
            seconds, cpu = runOne(kind, impl, size, 1, certs, script, warmup=True)
            if impl not in best or seconds < best[impl][0]:
                best[impl] = (seconds, cpu)
            if progress is not None:
                extra = ""
                if cpu is not None:
                    extra = f" (server CPU {cpu[0]:.2f} user + {cpu[1]:.2f} system)"
                progress(f"{kind:15} {impl:8} {seconds:8.3f} s{extra}")
    out: list[tuple[str, str, float]] = []
    for impl in impls:
        seconds, cpu = best[impl]
        out.append((kind, impl, seconds))
        if cpu is not None:
            out.append((f"{kind} (server CPU)", impl, cpu[0] + cpu[1]))
            out.append((f"{kind} (server user CPU)", impl, cpu[0]))
    return out


def results(
    repeat: int = 3,
    quick: bool = False,
    only: tuple[str, ...] = BENCHMARKS,
    progress: Callable[[str], None] | None = None,
) -> list[tuple[str, str, float]]:
    """(benchmark, implementation, seconds) for every available pairing.

    Besides the wall-clock time of each benchmark there is a row
    ``"<benchmark> (server CPU)"``: the CPU time (user + system) the server
    process spent in that run, and ``"<benchmark> (server user CPU)"``, its
    user-space part. On a small machine the load generator can be the
    bottleneck of the fastest servers; the CPU time still tells how much
    work each server needed for the same load.
    """
    sizes = QUICK if quick else SIZES
    out: list[tuple[str, str, float]] = []
    with tempfile.TemporaryDirectory(prefix="plait-bench-") as tmp:
        certs = Path(tmp)
        makeCertificates(certs)
        for kind in only:
            impls = TLS_IMPLEMENTATIONS if kind.startswith("tls") else IMPLEMENTATIONS
            present = [impl for impl in impls if _available(impl)]
            out += interleaved(
                kind, present, sizes[kind], repeat, certs, progress=progress
            )
    return out


def table(rows: list[tuple[str, str, float]]) -> str:
    """The results as text, with the ratio of each time to plait's."""
    plait = {kind: s for kind, impl, s in rows if impl == "plait"}
    lines = [f"{'benchmark':34} {'implementation':14} {'seconds':>9} {'ratio':>7}"]
    for kind, impl, seconds in rows:
        base = plait.get(kind)
        ratio = f"{seconds / base:7.2f}" if base else "      -"
        lines.append(f"{kind:34} {impl:14} {seconds:9.3f} {ratio}")
    lines.append(
        "ratio = implementation time / plait time: above 1 means plait is faster"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks and print the table (or run a sub-process role)."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "serve":
        serve(args[1], args[2], int(args[3]), Path(args[4]))
        return
    if args and args[0] == "load":
        seconds = load(args[1], int(args[2]), int(args[3]), Path(args[4]))
        print(f"ELAPSED {seconds:.6f}")
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smaller loads")
    parser.add_argument("--only", action="append", choices=BENCHMARKS)
    opts = parser.parse_args(args)
    rows = results(
        opts.repeat,
        opts.quick,
        tuple(opts.only) if opts.only else BENCHMARKS,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    print(table(rows))


if __name__ == "__main__":
    main()
