"""How a connected stream lives and ends: its states and the errors that end it.

The states form one enum with an explicit transition table; each state
also says whether the stream still reads and whether it still accepts
writes, so the transport's hot paths test one attribute instead of several
flags. Socket errors of an established stream are mapped to plait errors
here, once, for every stream transport.
"""

from __future__ import annotations

import enum
import errno

from plait.errors import ConnectionLost

__all__ = ["TRANSITIONS", "StreamState", "connectionErrorFor"]


class StreamState(enum.Enum):
    """The life cycle of a connected stream.

    Each state says whether incoming bytes are still read (``reading``) and
    whether ``write`` still accepts bytes (``writing``).
    """

    CONNECTED = ("connected", True, True)
    DISCONNECTING = ("close requested, flushing", True, False)
    HALF_CLOSING_WRITE = ("write shutdown requested, flushing", True, False)
    HALF_CLOSED_WRITE = ("our FIN sent, still reading", True, False)
    HALF_CLOSED_READ = ("peer's FIN received, still writing", False, True)
    DRAINING = ("both directions ending, flushing", False, False)
    CLOSED = ("closed", False, False)

    def __init__(self, label: str, reading: bool, writing: bool) -> None:
        self.label = label
        self.reading = reading
        self.writing = writing


_S = StreamState
TRANSITIONS: dict[StreamState, frozenset[StreamState]] = {
    _S.CONNECTED: frozenset(
        {_S.DISCONNECTING, _S.HALF_CLOSING_WRITE, _S.HALF_CLOSED_READ, _S.DRAINING}
    ),
    _S.DISCONNECTING: frozenset({_S.DRAINING}),
    _S.HALF_CLOSING_WRITE: frozenset(
        {_S.HALF_CLOSED_WRITE, _S.DISCONNECTING, _S.DRAINING}
    ),
    _S.HALF_CLOSED_WRITE: frozenset(),
    _S.HALF_CLOSED_READ: frozenset({_S.DRAINING}),
    _S.DRAINING: frozenset(),
    _S.CLOSED: frozenset(),
}
# Any live state may end; only CLOSED is final.
for _state in _S:
    if _state is not _S.CLOSED:
        TRANSITIONS[_state] = TRANSITIONS[_state] | {_S.CLOSED}

_LOST_ERRNOS = frozenset(
    {
        errno.ECONNRESET,
        errno.EPIPE,
        errno.ECONNABORTED,
        errno.ETIMEDOUT,
        errno.ENOTCONN,
        errno.ESHUTDOWN,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ENETRESET,
    }
)


def connectionErrorFor(err: OSError) -> Exception:
    """Map an OS error from a connected socket to a plait error.

    Every failure of an established stream is a ``ConnectionLost``; the OS
    error stays attached as ``__cause__`` and its name is in the message.
    """
    code = err.errno
    name = errno.errorcode.get(code, "") if code is not None else ""
    why = err.strerror or str(err)
    if code in _LOST_ERRNOS:
        text = f"connection lost: {why} ({name})"
    else:
        text = f"connection lost on a socket error: {why} ({name or 'unknown'})"
    lost = ConnectionLost(text)
    lost.__cause__ = err
    return lost
