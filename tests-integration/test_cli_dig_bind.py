"""``plait dig`` against BIND's named on loopback (see named.py for the zones)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from named import BIG_RECORDS, Named, namedBinary, startNamed

pytest.importorskip("plait.dns")
pytest.importorskip("plait.cli")


@pytest.fixture(scope="module")
def named() -> Iterator[Named]:
    """A named for the module, authoritative for example.test and big.test."""
    binary = namedBinary()
    if binary is None:
        pytest.skip("BIND's named is not installed (Debian package bind9)")
    server = startNamed(binary)
    yield server
    server.stop()


def dig(*argv: str) -> tuple[int, list[str]]:
    """Run ``plait dig`` as a process: its status and its output lines."""
    done = subprocess.run(
        [sys.executable, "-m", "plait.cli", "dig", *argv],
        capture_output=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        check=False,
    )
    assert done.stderr == b""
    return done.returncode, done.stdout.decode().splitlines()


def test_dig_a_record(named: Named) -> None:
    """plait dig prints BIND's two A records of www.example.test, exit 0."""
    code, lines = dig("www.example.test", "A", "--server", f"127.0.0.1:{named.port}")
    assert code == 0
    assert lines[0].startswith("; NOERROR from 127.0.0.1:")
    assert sorted(lines[1:]) == [
        "www.example.test. 300 IN A 192.0.2.1",
        "www.example.test. 300 IN A 192.0.2.2",
    ]


def test_dig_axfr_of_the_big_zone(named: Named) -> None:
    """plait dig --axfr prints every record of big.test, one per line."""
    code, lines = dig("--axfr", "big.test", "--server", f"127.0.0.1:{named.port}")
    assert code == 0
    records = [line.split(" ", 4) for line in lines[1:]]
    # SOA, NS, the name server's address and the hosts' addresses.
    assert len(records) == BIG_RECORDS + 3
    assert lines[0].endswith(f"{BIG_RECORDS + 3} records")
    assert records[0][3] == "SOA"
    assert sum(1 for r in records if r[3] == "A") == BIG_RECORDS + 1
    assert ["host42.big.test.", "300", "IN", "A", "10.0.0.42"] in records
