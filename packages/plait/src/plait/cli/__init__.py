"""The ``plait`` command: the demo, an echo server, and what is installed."""

from ._main import main as main

__all__ = ["main"]
