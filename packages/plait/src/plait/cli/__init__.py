"""The ``plait`` command: a demo, an echo server, a port forwarder and a
report of what is installed."""

from ._main import buildParser as buildParser
from ._main import main as main

__all__ = ["buildParser", "main"]
