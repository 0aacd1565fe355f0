"""``plait dig`` against small DNS servers run in threads on loopback."""

from __future__ import annotations

import signal
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from typing import Any

import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from plait.cli import main
from plait.dns import ZoneServer

BIG = '" "'.join(["x" * 250] * 8)
ZONE = f"""
$TTL 300
@ IN SOA ns.example. admin.example. 1 3600 600 86400 30
@ IN NS ns.example.
@ IN MX 10 mail.example.
www IN A 192.0.2.1
www IN AAAA 2001:db8::1
big IN TXT "{BIG}"
"""


def _readExactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _bindBoth(family: int, host: str) -> tuple[socket.socket, socket.socket]:
    """A UDP and a TCP socket bound to one free port number: the kernel's
    free UDP port may be taken for TCP, so a few are tried."""
    for _ in range(50):
        udp = socket.socket(family, socket.SOCK_DGRAM)
        udp.bind((host, 0))
        tcp = socket.socket(family, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind((host, udp.getsockname()[1]))
        except OSError:
            udp.close()
            tcp.close()
            continue
        return udp, tcp
    raise OSError("no port number free for both UDP and TCP")


class ThreadedServer:
    """A UDP and a TCP socket on one loopback port, each served by a thread.

    *answer(wire, overUDP)* gives the messages to send back for a query.
    """

    def __init__(
        self, answer: Callable[[bytes, bool], list[bytes]], host: str = "127.0.0.1"
    ) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.answer = answer
        self.udpQueries = 0
        self.tcpQueries = 0
        self.udp, self.tcp = _bindBoth(family, host)
        self.port = self.udp.getsockname()[1]
        self.tcp.listen(8)
        for loop in (self._serveUDP, self._serveTCP):
            threading.Thread(target=loop, daemon=True).start()

    def _serveUDP(self) -> None:
        while True:
            try:
                wire, addr = self.udp.recvfrom(65535)
            except OSError:
                return
            if not wire:
                return  # shut down
            self.udpQueries += 1
            for message in self.answer(wire, True):
                self.udp.sendto(message, addr)

    def _serveTCP(self) -> None:
        while True:
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                return
            with conn:
                try:
                    (size,) = struct.unpack("!H", _readExactly(conn, 2))
                    wire = _readExactly(conn, size)
                except (ConnectionError, OSError):
                    continue
                self.tcpQueries += 1
                for message in self.answer(wire, False):
                    conn.sendall(struct.pack("!H", len(message)) + message)

    def close(self) -> None:
        for sock in (self.udp, self.tcp):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


def zoneAnswers(zone: ZoneServer) -> Callable[[bytes, bool], list[bytes]]:
    """Answers from *zone*, with AXFR over TCP in several messages."""

    def answer(wire: bytes, overUDP: bool) -> list[bytes]:
        query = dns.message.from_wire(wire)
        if query.question[0].rdtype == dns.rdatatype.AXFR and not overUDP:
            return transfer(zone, query)
        reply = zone.respond(wire, 65535 if overUDP else None)
        return [reply] if reply is not None else []

    return answer


def transfer(zone: ZoneServer, query: dns.message.Message) -> list[bytes]:
    """The zone as an AXFR: its SOA, every other RRset, the SOA again;
    two RRsets per message so that the transfer spans several."""
    rrsets = [
        (name, rdataset)
        for name, node in zone.zone.items()
        for rdataset in node.rdatasets
    ]
    soa = [(n, r) for n, r in rrsets if r.rdtype == dns.rdatatype.SOA]
    rest = [(n, r) for n, r in rrsets if r.rdtype != dns.rdatatype.SOA]
    ordered = soa + rest + soa
    messages = []
    for start in range(0, len(ordered), 2):
        reply = dns.message.make_response(query)
        for name, rdataset in ordered[start : start + 2]:
            reply.find_rrset(
                reply.answer, name, rdataset.rdclass, rdataset.rdtype, create=True
            ).update(rdataset)
        messages.append(reply.to_wire())
    return messages


def zoneRecordCount(zone: ZoneServer) -> int:
    return sum(len(r) for _, node in zone.zone.items() for r in node.rdatasets)


@pytest.fixture
def ipv6() -> str:
    """The IPv6 loopback address; the test is skipped where ::1 is unusable."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
    except OSError as e:
        pytest.skip(f"the IPv6 loopback address ::1 cannot be bound here: {e}")
    return "::1"


@pytest.fixture
def zone() -> ZoneServer:
    return ZoneServer(ZONE, origin="example.")


@pytest.fixture
def served(zone: ZoneServer) -> Iterator[ThreadedServer]:
    server = ThreadedServer(zoneAnswers(zone))
    yield server
    server.close()


def dig(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``plait dig ARGV`` in-process: its status, stdout and stderr."""
    with pytest.raises(SystemExit) as exited:
        main(["dig", *argv])
    code = exited.value.code
    captured = capsys.readouterr()
    return (code if isinstance(code, int) else 1), captured.out, captured.err


def records(out: str) -> list[list[str]]:
    """The record lines of *out*, split into owner, TTL, class, type, rdata."""
    return [line.split(" ", 4) for line in out.splitlines() if not line.startswith(";")]


def test_a_record(capsys: pytest.CaptureFixture[str], served: ThreadedServer) -> None:
    """An A lookup prints a NOERROR status line then the record, exit 0."""
    code, out, err = dig(capsys, "www.example", "--server", f"127.0.0.1:{served.port}")
    assert (code, err) == (0, "")
    status = out.splitlines()[0]
    assert status.startswith("; NOERROR from 127.0.0.1:")
    assert "1 answer," in status and " ms" in status
    assert records(out) == [["www.example.", "300", "IN", "A", "192.0.2.1"]]


def test_aaaa_and_mx(
    capsys: pytest.CaptureFixture[str], served: ThreadedServer
) -> None:
    """The TYPE argument picks the record type, in any case."""
    server = f"127.0.0.1:{served.port}"
    _, out, _ = dig(capsys, "www.example.", "aaaa", "--server", server)
    assert records(out) == [["www.example.", "300", "IN", "AAAA", "2001:db8::1"]]
    _, out, _ = dig(capsys, "example.", "MX", "--server", server)
    assert records(out) == [["example.", "300", "IN", "MX", "10 mail.example."]]


def test_empty_answer_exits_0(
    capsys: pytest.CaptureFixture[str], served: ThreadedServer
) -> None:
    """A name without records of the type asked is NOERROR, exit 0, SOA shown."""
    code, out, _ = dig(
        capsys, "www.example.", "MX", "--server", f"127.0.0.1:{served.port}"
    )
    assert code == 0
    assert "0 answers" in out.splitlines()[0]
    assert "; authority:" in out
    assert records(out)[0][3] == "SOA"


def test_long_txt_is_one_line_through_tcp(
    capsys: pytest.CaptureFixture[str], served: ThreadedServer
) -> None:
    """A TXT over the UDP limit comes back by TCP and prints on one line."""
    code, out, _ = dig(
        capsys, "big.example.", "TXT", "--server", f"127.0.0.1:{served.port}"
    )
    assert code == 0
    (record,) = records(out)
    assert record[:4] == ["big.example.", "300", "IN", "TXT"]
    assert record[4] == '"' + BIG + '"'
    assert served.udpQueries == 1 and served.tcpQueries == 1


def test_tcp_only(capsys: pytest.CaptureFixture[str], served: ThreadedServer) -> None:
    """--tcp asks over TCP and sends no datagram."""
    code, out, _ = dig(
        capsys, "www.example.", "--tcp", "--server", f"127.0.0.1:{served.port}"
    )
    assert code == 0
    assert "over TCP" in out.splitlines()[0]
    assert records(out)[0][4] == "192.0.2.1"
    assert (served.udpQueries, served.tcpQueries) == (0, 1)


def test_nxdomain_exits_1(
    capsys: pytest.CaptureFixture[str], served: ThreadedServer
) -> None:
    """A name that does not exist: an NXDOMAIN status line, exit 1."""
    code, out, err = dig(
        capsys, "nope.example.", "--server", f"127.0.0.1:{served.port}"
    )
    assert code == 1
    assert out.startswith("; NXDOMAIN from 127.0.0.1:")
    assert len(out.splitlines()) == 1 and err == ""


@pytest.mark.parametrize("rcode", [dns.rcode.SERVFAIL, dns.rcode.REFUSED])
def test_server_failures_exit_3(
    capsys: pytest.CaptureFixture[str], rcode: dns.rcode.Rcode
) -> None:
    """SERVFAIL and REFUSED are named on the status line and exit 3."""

    def failing(wire: bytes, overUDP: bool) -> list[bytes]:
        reply = dns.message.make_response(dns.message.from_wire(wire))
        reply.set_rcode(rcode)
        return [reply.to_wire()]

    server = ThreadedServer(failing)
    try:
        code, out, _ = dig(
            capsys, "www.example.", "--server", f"127.0.0.1:{server.port}"
        )
    finally:
        server.close()
    assert code == 3
    assert out.startswith(f"; {dns.rcode.to_text(rcode)} from")


def test_silent_server_times_out_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    """A server that never answers: a TIMEOUT status after every attempt, exit 3."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        code, out, _ = dig(
            capsys,
            "www.example.",
            "--server",
            f"127.0.0.1:{port}",
            "--timeout",
            "0.05",
            "--tries",
            "2",
        )
    assert code == 3
    assert out.startswith("; TIMEOUT from")


def test_axfr_lists_every_record(
    capsys: pytest.CaptureFixture[str], zone: ZoneServer, served: ThreadedServer
) -> None:
    """--axfr prints each record of the zone once, SOA first, one per line."""
    code, out, _ = dig(
        capsys, "--axfr", "example.", "--server", f"127.0.0.1:{served.port}"
    )
    assert code == 0
    lines = records(out)
    assert len(lines) == zoneRecordCount(zone)
    assert lines[0][3] == "SOA"
    assert f"{zoneRecordCount(zone)} records" in out.splitlines()[0]
    assert ["www.example.", "300", "IN", "AAAA", "2001:db8::1"] in lines


def test_ipv6_server_in_brackets(
    capsys: pytest.CaptureFixture[str], zone: ZoneServer, ipv6: str
) -> None:
    """A server written [::1]:PORT is asked over IPv6."""
    server = ThreadedServer(zoneAnswers(zone), host=ipv6)
    try:
        code, out, _ = dig(capsys, "www.example.", "--server", f"[::1]:{server.port}")
    finally:
        server.close()
    assert code == 0
    assert out.startswith(f"; NOERROR from [::1]:{server.port}")
    assert server.udpQueries == 1


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["www.example.", "BOGUS"], "unknown record type: 'BOGUS'"),
        (["www.example.", "OPT"], "record type OPT cannot be asked"),
        (["x.", "--server", "example.com"], "a DNS server is an IP address"),
        (["x.", "--server", "127.0.0.1:99999"], "port 99999 is outside 1-65535"),
        (["x.", "--server", "127.0.0.1:x"], "not a port number: 'x'"),
        (["x.", "--server", "[::1:53"], "write an IPv6 server as [ADDRESS]:PORT"),
        (["x.", "--timeout", "-1"], "must be more than 0 seconds, not -1"),
        (["x.", "--timeout", "soon"], "not a number: 'soon'"),
        ([], "required: NAME (or --axfr ZONE)"),
        (["a..b"], "'a..b' is not a domain name"),
        (["--axfr", "x" * 64 + ".test"], "is not a domain name"),
        (["x.", "--axfr", "example."], "--axfr takes the zone"),
    ],
)
def test_usage_mistakes_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], problem: str
) -> None:
    """A usage mistake exits 2 with the usage line and one line naming it."""
    code, out, err = dig(capsys, *argv)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("usage: plait dig")
    assert problem in lines[-1]


@pytest.mark.parametrize(
    ("text", "server"),
    [
        ("192.0.2.53", ("192.0.2.53", 53)),
        ("192.0.2.53:5353", ("192.0.2.53", 5353)),
        ("::1", ("::1", 53)),
        ("[::1]", ("::1", 53)),
        ("[2001:db8::1]:5353", ("2001:db8::1", 5353)),
    ],
)
def test_server_syntax(text: str, server: tuple[str, int]) -> None:
    """--server takes IPv4 and IPv6 addresses, with or without a port."""
    from plait.cli._dig import dnsServer

    assert dnsServer(text) == server


def test_output_is_flushed_to_a_pipe(runPlait: Any, served: ThreadedServer) -> None:
    """As a real process writing to a pipe, dig prints its lines and status."""
    code, out, err = runPlait(
        "dig", "www.example.", "A", "--server", f"127.0.0.1:{served.port}"
    )
    assert (code, err) == (0, "")
    assert out.splitlines()[1] == "www.example. 300 IN A 192.0.2.1"


def test_sigint_stops_a_waiting_query_with_status_0(command: Any) -> None:
    """Ctrl-C while a query waits for its answer ends dig quietly, status 0."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.settimeout(30)
        port = silent.getsockname()[1]
        running = command(
            "dig", "www.example.", "--server", f"127.0.0.1:{port}", "--timeout", "30"
        )
        silent.recvfrom(65535)  # the query is on its way: dig is waiting
        code, out, err = running.finish(signal.SIGINT)
    assert (code, out, err) == (0, "", "")


def test_default_server_is_the_first_of_resolv_conf(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    """Without --server, dig asks the first nameserver resolv.conf names."""
    import functools

    from plait.cli import _dig
    from plait.dns import createResolver

    conf = tmp_path / "resolv.conf"
    conf.write_text("nameserver 127.0.0.2\nnameserver 127.0.0.3\n")
    monkeypatch.setattr(
        _dig, "createResolver", functools.partial(createResolver, resolvconf=str(conf))
    )
    _, out, _ = dig(capsys, "www.example.", "--timeout", "0.2", "--tries", "1")
    assert " from 127.0.0.2:53 " in out.splitlines()[0]
