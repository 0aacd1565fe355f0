"""The steps of ``plait demo``, one small module each.

A step module has a coroutine ``run(reactor, settings) -> str`` that does
its work on loopback and returns one line saying what it did; the demo
times it and prints that line after the step's name.  A step whose
distribution is not installed is skipped with a line that says how to
install it.  Adding a step is adding a module here and one entry below.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["STEPS", "DemoSettings", "DemoStep"]


@dataclass(frozen=True, slots=True)
class DemoSettings:
    """What the user asked of the demo."""

    connections: int = 10
    messages: int = 100


@dataclass(frozen=True, slots=True)
class DemoStep:
    """One step: its name, the distribution it needs, the module running it."""

    name: str
    distribution: str
    importName: str
    module: str


STEPS: tuple[DemoStep, ...] = (
    DemoStep("TCP", "plait-tcp", "plait.tcp", "plait.cli._steps._tcp"),
    DemoStep("TLS", "plait-tcp[tls]", "OpenSSL", "plait.cli._steps._tls"),
    DemoStep("UNIX", "plait-unix", "plait.unix", "plait.cli._steps._unix"),
    DemoStep("UDP", "plait-udp", "plait.udp", "plait.cli._steps._udp"),
    DemoStep(
        "multicast", "plait-multicast", "plait.multicast", "plait.cli._steps._multicast"
    ),
    DemoStep("process", "plait-process", "plait.process", "plait.cli._steps._process"),
    DemoStep("DNS", "plait-dns", "plait.dns", "plait.cli._steps._dns"),
)
