"""UNIX: an echo server on a socket file only its owner may use, every byte
checked, and the kernel's word on who the client is."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from plait.core import FirstError, connectProtocol, gatherResults
from plait.unix import UNIXClientEndpoint, UNIXServerEndpoint

from .._checker import EchoChecker
from .._echo import echoFactory
from . import DemoSettings


class _Checker(EchoChecker):
    """An echo checker that also asks the kernel who its server is."""

    peer: Any = None

    def connectionMade(self) -> None:
        assert self.transport is not None
        self.peer = self.transport.getPeerCredentials()
        super().connectionMade()


async def run(reactor: Any, settings: DemoSettings) -> str:
    """Echo ``messages`` KiB over each of ``connections`` UNIX connections."""
    with tempfile.TemporaryDirectory(prefix="plait-demo-") as folder:
        path = Path(folder) / "echo.sock"
        server = UNIXServerEndpoint(reactor, path, mode=0o600)
        port = await server.listen(echoFactory())
        mode = stat.S_IMODE(os.stat(path).st_mode)
        checkers = [
            _Checker(settings.messages, 1024, seed=i)
            for i in range(settings.connections)
        ]
        try:
            endpoint = UNIXClientEndpoint(reactor, path)
            for checker in checkers:
                await connectProtocol(endpoint, checker)
            try:
                echoed = await gatherResults(
                    [c.done for c in checkers], consumeErrors=True
                )
            except FirstError as e:
                e.subFailure.raiseException()
            total = sum(echoed)
            peer = checkers[0].peer
        finally:
            for checker in checkers:
                checker.abandon()
            await port.stopListening()
    return (
        f"echo on a socket file of mode {mode:o}: {settings.connections} connections,"
        f" {total:,} bytes echoed and verified; the server is pid {peer.pid}"
        f" (uid {peer.uid}) to its clients"
    )
