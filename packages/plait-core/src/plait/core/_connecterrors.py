"""Socket errors of connecting, mapped to plait errors once, for every family.

An established connection's failures are mapped by
``connectionErrorFor`` in plait-core; this module covers the steps
before that: binding, listening and the non-blocking connect.
"""

from __future__ import annotations

import errno

from plait.errors import (
    ConnectBindError,
    ConnectError,
    ConnectionRefusedError,
    NoRouteError,
    TCPTimedOutError,
)

__all__ = ["bindErrorFor", "connectErrorFor"]

_NO_ROUTE = frozenset(
    {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}
)


def connectErrorFor(err: OSError) -> ConnectError:
    """The plait error for a failed ``connect`` (or its ``SO_ERROR``)."""
    code = err.errno
    why = err.strerror or str(err)
    error: ConnectError
    if code == errno.ECONNREFUSED:
        error = ConnectionRefusedError(code, why)
    elif code == errno.ETIMEDOUT:
        error = TCPTimedOutError(code, why)
    elif code in _NO_ROUTE:
        error = NoRouteError(code, why)
    elif code == errno.EADDRNOTAVAIL:
        error = ConnectBindError(code, why)
    else:
        error = ConnectError(code, why)
    error.__cause__ = err
    return error


def bindErrorFor(err: OSError, address: object) -> ConnectBindError:
    """The plait error for a client socket that could not bind ``address``."""
    error = ConnectBindError(err.errno, f"{err.strerror or err} (binding {address})")
    error.__cause__ = err
    return error
