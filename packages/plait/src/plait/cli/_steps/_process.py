"""process: a shell on a pseudo-terminal of its own, answered like a person
at a keyboard, then its exit status collected."""

from __future__ import annotations

import shutil
from typing import Any

from plait.core import Deferred
from plait.errors import CancelledError
from plait.process import ProcessProtocol

from . import DemoSettings

#: How long the dialogue may take before the step fails.
TIMEOUT = 10.0

#: Checks it is on a terminal and leads its own session, asks, answers.
_SCRIPT = (
    'test -t 0 && echo "tty $(tty)";'
    " if [ -r /proc/$$/stat ]; then set -- $(cat /proc/$$/stat);"
    ' [ "$6" = "$$" ] && echo "session leader"; else echo "session unknown"; fi;'
    ' printf "name? "; read name; echo "hello, $name"'
)


_LEADS = {
    "session leader": "leading its own session",
    "session unknown": "its session not checked here",
}


class _Dialogue(ProcessProtocol):
    """Types an answer at the prompt; keeps the screen; fires when done."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.screen = b""
        self.answered = False
        self.done: Deferred[Any] = Deferred()

    def outReceived(self, data: bytes) -> None:
        self.screen += data
        if b"name? " in self.screen and not self.answered:
            self.answered = True
            assert self.transport is not None
            self.transport.write(self.answer + b"\n")

    def processEnded(self, reason: Any) -> None:
        if not self.done.called:
            self.done.callback(reason.value)


async def run(reactor: Any, settings: DemoSettings) -> str:
    """Run ``/bin/sh`` on a pseudo-terminal and hold a short dialogue."""
    shell = shutil.which("sh") or "/bin/sh"
    dialogue = _Dialogue(b"plait")
    env = {"PATH": "/usr/bin:/bin"}
    transport = reactor.spawnProcess(
        dialogue, shell, ["sh", "-c", _SCRIPT], env=env, usePTY=True
    )
    pid = transport.pid
    timeout = reactor.callLater(TIMEOUT, dialogue.done.cancel)
    try:
        reason = await dialogue.done
    except CancelledError:
        if timeout.active():
            raise
        transport.signalProcess("KILL")
        raise RuntimeError(f"process: no answer within {TIMEOUT} s") from None
    finally:
        if timeout.active():
            timeout.cancel()
    lines = dialogue.screen.decode(errors="replace").replace("\r\n", "\n").split("\n")
    tty = next((line[4:] for line in lines if line.startswith("tty ")), None)
    session = next((line for line in lines if line.startswith("session ")), None)
    if tty is None or session is None or "hello, plait" not in lines:
        raise RuntimeError(f"process: unexpected dialogue {dialogue.screen!r}")
    code = getattr(reason, "exitCode", 0)
    return (
        f"sh (pid {pid}) on {tty}, {_LEADS[session]}: asked for a name,"
        f" was answered, greeted back, exited with status {code}"
    )
