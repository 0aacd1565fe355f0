"""Start BIND's ``named`` on loopback, authoritative for zones written here.

Used by the DNS integration tests and by the DNS benchmark. ``named`` runs
in the foreground (``-g``: logs to stderr, no daemon), from a temporary
directory holding its configuration and zone files, listening on
127.0.0.1 and ::1 at one free high port, with recursion off and zone
transfers allowed from loopback only. Run as root, it keeps root (no
``-u``): the files it reads are the caller's, and nothing it serves is
reachable from off the machine.

Zones:

- ``example.test``: a record of every type the resolver asks for (BIND
  refuses MD and MF, so those are absent), a CNAME, names under it, and a
  TXT record too large for a UDP answer (BIND caps those at 1232 octets),
  so that asking for it forces the retry over TCP.
  Every name under ``wild.example.test`` has an A record (a wildcard), so
  a benchmark can ask a fresh name each time and never hit a cache.
- ``big.test``: thousands of A records, so its AXFR spans many messages.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BIG_RECORDS = 3000

EXAMPLE_ZONE = """\
$TTL 300
@         IN SOA   ns1.example.test. hostmaster.example.test. (
                   2024010101 3600 600 86400 60 )
@         IN NS    ns1.example.test.
@         IN MX    10 mail.example.test.
@         IN TXT   "v=spf1 -all"
@         IN HINFO "PDP-11" "UNIX"
@         IN RP    admin.example.test. info.example.test.
@         IN AFSDB 1 afs.example.test.
@         IN MINFO admin.example.test. errors.example.test.
@         IN MB    mail.example.test.
@         IN MG    member.example.test.
@         IN MR    renamed.example.test.
@         IN NULL  \\# 4 DEADBEEF
@         IN WKS   192.0.2.10 TCP 25 80
@         IN A6    0 2001:db8::a6
ns1       IN A     192.0.2.53
mail      IN A     192.0.2.25
www       IN A     192.0.2.1
www       IN A     192.0.2.2
www       IN AAAA  2001:db8::1
only4     IN A     192.0.2.4
local     IN A     127.0.0.1
alias     IN CNAME www.example.test.
ptr       IN PTR   www.example.test.
_imap._tcp IN SRV  0 5 143 mail.example.test.
info      IN TXT   "contact us"
big       IN TXT   {big}
*.wild    IN A     192.0.2.99
"""


def _bigTXT() -> str:
    chunk = "x" * 250
    return " ".join(f'"{chunk}"' for _ in range(12))


def _bigZone() -> str:
    lines = [
        "$TTL 300",
        "@ IN SOA ns1.big.test. hostmaster.big.test. 7 3600 600 86400 60",
        "@ IN NS ns1.big.test.",
        "ns1 IN A 192.0.2.53",
    ]
    lines.extend(
        f"host{i} IN A 10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"
        for i in range(BIG_RECORDS)
    )
    return "\n".join(lines) + "\n"


def namedBinary() -> str | None:
    """Path of ``named``, or None when BIND is not installed."""
    return shutil.which("named") or (
        "/usr/sbin/named" if Path("/usr/sbin/named").exists() else None
    )


def freePort() -> int:
    """A port free on 127.0.0.1 for both UDP and TCP (at the time of asking)."""
    for _ in range(50):
        with socket.socket() as t:
            t.bind(("127.0.0.1", 0))
            port: int = t.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                try:
                    u.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port")


def ipv6Loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


@dataclass
class Named:
    """A running ``named``: its port, its process and its directory."""

    port: int
    process: subprocess.Popen[bytes]
    directory: Path
    ipv6: bool

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)

    def log(self) -> str:
        return (self.directory / "named.log").read_text(errors="replace")


def _ready(port: int, deadline: float) -> bool:
    # A SOA query, built by hand so that this module needs nothing installed.
    query = (
        b"\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00"
        b"\x07example\x04test\x00\x00\x06\x00\x01"
    )
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.2)
            try:
                s.sendto(query, ("127.0.0.1", port))
                data = s.recv(4096)
            except OSError:
                time.sleep(0.1)
                continue
            if data[:2] == b"\x12\x34" and data[3] & 0x0F == 0:
                return True
        time.sleep(0.1)
    return False


def startNamed(
    binary: str, threads: int | None = None, cpu: int | None = None
) -> Named:
    """Start ``named``; raise RuntimeError with its log if it does not answer.

    *threads* sets named's worker threads; *cpu* keeps it on one CPU.
    """
    directory = Path(tempfile.mkdtemp(prefix="plait-named-"))
    directory.chmod(0o755)
    port = freePort()
    ipv6 = ipv6Loopback()
    (directory / "example.test.zone").write_text(EXAMPLE_ZONE.format(big=_bigTXT()))
    (directory / "big.test.zone").write_text(_bigZone())
    listen6 = (
        f"listen-on-v6 port {port} {{ ::1; }};" if ipv6 else "listen-on-v6 { none; };"
    )
    (directory / "named.conf").write_text(
        f"""
options {{
    directory "{directory}";
    pid-file "{directory}/named.pid";
    session-keyfile "{directory}/session.key";
    managed-keys-directory "{directory}";
    listen-on port {port} {{ 127.0.0.1; }};
    {listen6}
    recursion no;
    allow-transfer {{ 127.0.0.1; ::1; }};
    dnssec-validation no;
    notify no;
}};
controls {{ }};
zone "example.test" {{ type primary; file "{directory}/example.test.zone"; }};
zone "big.test" {{ type primary; file "{directory}/big.test.zone"; }};
"""
    )
    for path in directory.iterdir():
        path.chmod(0o644)
    args = [binary, "-g", "-c", str(directory / "named.conf")]
    if threads is not None:
        args += ["-n", str(threads)]
    log = open(directory / "named.log", "wb")  # noqa: SIM115

    def pin() -> None:
        if cpu is not None and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {cpu})

    process = subprocess.Popen(
        args, stdout=log, stderr=subprocess.STDOUT, preexec_fn=pin
    )
    log.close()
    named = Named(port, process, directory, ipv6)
    if not _ready(port, time.monotonic() + 20) or process.poll() is not None:
        text = named.log()
        named.stop()
        raise RuntimeError(f"named did not start:\n{text[-3000:]}")
    return named
