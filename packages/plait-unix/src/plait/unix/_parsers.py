"""Endpoint description strings for UNIX sockets: ``unix:``.

Registered under the ``plait.endpoints`` entry point group. Server
strings::

    unix:/run/app.sock
    unix:path=/run/app.sock:mode=600:lockfile=1:backlog=100
    unix:@app                     (a Linux abstract name)

Client strings::

    unix:/run/app.sock
    unix:path=/run/app.sock:timeout=5:checkPID=1

``mode`` is octal (``660`` or ``0o660``); ``lockfile`` and ``checkPID``
take ``0``/``1``. A leading ``@`` names an abstract socket (the kernel's
leading NUL). Unknown keywords, and bad values, raise an error naming them.
"""

from __future__ import annotations

from typing import Any

from zope.interface import implementer, provider

from plait.interfaces import (
    IStreamClientEndpointStringParser,
    IStreamServerEndpointStringParser,
)

from ._endpoints import UNIXClientEndpoint, UNIXServerEndpoint

__all__ = ["UNIXParser"]

_Both = (IStreamServerEndpointStringParser, IStreamClientEndpointStringParser)


def _path(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    if len(args) > 1:
        raise TypeError(f"unix: unexpected positional arguments {args[1:]!r}")
    if args:
        if "path" in kwargs:
            raise TypeError("unix: the path is given twice")
        kwargs["path"] = args[0]
    path = str(kwargs.pop("path", ""))
    if not path:
        raise TypeError("unix: a path is needed (unix:/run/app.sock or path=...)")
    if path.startswith("@"):
        return "\0" + path[1:]
    return path


def _flag(name: str, value: object) -> bool:
    text = str(value).lower()
    if text in ("1", "true", "yes"):
        return True
    if text in ("0", "false", "no", ""):
        return False
    raise ValueError(f"unix: {name} must be 0 or 1, not {value!r}")


def _int(name: str, value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise ValueError(f"unix: {name} must be an integer, not {value!r}") from None


def _mode(value: object) -> int:
    text = str(value).lower().removeprefix("0o")
    try:
        mode = int(text, 8)
    except ValueError:
        raise ValueError(
            f"unix: mode must be octal such as 660, not {value!r}"
        ) from None
    if mode > 0o7777:
        raise ValueError(f"unix: mode {value!r} is not a permission mask")
    return mode


def _timeout(value: object) -> float | None:
    text = str(value).lower()
    if text in ("", "none", "0"):
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"unix: timeout must be a number, not {value!r}") from None


def _refuseExtra(kwargs: dict[str, Any], allowed: str) -> None:
    if kwargs:
        raise TypeError(
            f"unix: unknown arguments {', '.join(sorted(kwargs))} "
            f"(this end takes {allowed})"
        )


@implementer(*_Both)
@provider(*_Both)
class UNIXParser:
    """``unix:`` descriptions, for servers and clients."""

    prefix = "unix"

    @classmethod
    def parseStreamServer(
        cls, reactor: Any, *args: Any, **kwargs: Any
    ) -> UNIXServerEndpoint:
        """A UNIX server endpoint: ``path``, ``mode``, ``lockfile``, ``backlog``."""
        kwargs = dict(kwargs)
        path = _path(args, kwargs)
        mode = _mode(kwargs.pop("mode", "666"))
        wantPID = _flag("lockfile", kwargs.pop("lockfile", "0"))
        backlog = _int("backlog", kwargs.pop("backlog", 50))
        _refuseExtra(kwargs, "path, mode, lockfile, backlog")
        return UNIXServerEndpoint(reactor, path, backlog, mode, wantPID)

    @classmethod
    def parseStreamClient(
        cls, reactor: Any, *args: Any, **kwargs: Any
    ) -> UNIXClientEndpoint:
        """A UNIX client endpoint: ``path``, ``timeout``, ``checkPID``."""
        kwargs = dict(kwargs)
        path = _path(args, kwargs)
        timeout = _timeout(kwargs.pop("timeout", 30))
        checkPID = _flag("checkPID", kwargs.pop("checkPID", "0"))
        _refuseExtra(kwargs, "path, timeout, checkPID")
        return UNIXClientEndpoint(reactor, path, timeout, checkPID)
