"""How the command talks to its user: lines flushed at once, one-line
errors, tracebacks only with ``--debug``."""

from __future__ import annotations

import io
import logging
import sys
import traceback

__all__ = [
    "CommandError",
    "addressText",
    "configureOutput",
    "errorLine",
    "reportError",
    "say",
]


class CommandError(Exception):
    """A runtime failure the user can act on; printed as one line, exit 1."""


def say(line: str) -> None:
    """Print one line of output and flush it, whatever stdout is."""
    print(line, flush=True)


def addressText(address: object) -> str:
    """``host:port`` (``[host]:port`` for IPv6) or a path, for people."""
    host = getattr(address, "host", None)
    port = getattr(address, "port", None)
    if host is not None and port is not None:
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    name = getattr(address, "name", None)
    return str(name) if name is not None else str(address)


def _oneLine(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    # Some messages end with a full stop and are given another.
    while text.endswith(".."):
        text = text[:-1]
    return text


def errorLine(error: BaseException) -> str:
    """The one line printed for *error*: ``plait: error: ...``."""
    plain = (CommandError, OSError, ValueError, TypeError)
    if isinstance(error, plain) or type(error).__module__.startswith("plait."):
        return f"plait: error: {_oneLine(error)}"
    return f"plait: error: {type(error).__name__}: {_oneLine(error)}"


def reportError(error: BaseException, debug: bool) -> None:
    """Print *error* on stderr: one line, after its traceback with ``--debug``."""
    if debug:
        traceback.print_exception(type(error), error, error.__traceback__)
    print(errorLine(error), file=sys.stderr, flush=True)


class _OneLineFormatter(logging.Formatter):
    """Log records as one line each; an exception adds its message only."""

    def format(self, record: logging.LogRecord) -> str:
        message = f"plait: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            message += f": {_oneLine(record.exc_info[1])}"
        return message


def configureOutput(debug: bool) -> None:
    """Flush stdout per line; send plait's log records to stderr."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)
    handler = logging.StreamHandler(sys.stderr)
    logger = logging.getLogger("plait")
    if debug:
        handler.setFormatter(logging.Formatter("plait: %(name)s: %(message)s"))
        logger.setLevel(logging.DEBUG)
    else:
        handler.setFormatter(_OneLineFormatter())
        logger.setLevel(logging.WARNING)
    for old in [h for h in logger.handlers if getattr(h, "_plaitCommand", False)]:
        logger.removeHandler(old)
    handler._plaitCommand = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
