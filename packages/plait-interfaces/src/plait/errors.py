"""The exceptions plait raises, in one hierarchy rooted at :class:`PlaitError`.

Families:

- connecting: :class:`ConnectError` and its subclasses, built as
  ``SomeError(osError=None, string="")``;
- listening: :class:`CannotListenError` (``interface, port, socketError``);
- a connection ending: :class:`ConnectionClosed` with
  :class:`ConnectionDone` (clean) and :class:`ConnectionLost` (not clean),
  plus :class:`ProcessDone` and :class:`ProcessTerminated` for children;
- timed calls and Deferreds: :class:`AlreadyCalled`,
  :class:`AlreadyCancelled`, :class:`AlreadyCalledError`,
  :class:`CancelledError`;
- the reactor's life cycle: :class:`ReactorNotRunning` and friends;
- DNS: :class:`DNSError` and its subclasses;
- a capability whose distribution is missing: :class:`MissingCapability`.

Every class keeps its constructor arguments in ``args`` (so instances
pickle and compare like any exception) and renders a one-sentence ``str()``.
"""

from __future__ import annotations

import builtins
import errno as _errno
import os
import shlex
import signal as _signal
from collections.abc import Iterable

__all__ = [
    "AlreadyCalled",
    "AlreadyCalledError",
    "AlreadyCancelled",
    "AlreadyListened",
    "AuthoritativeDomainError",
    "BadFileError",
    "CancelledError",
    "CannotListenError",
    "ConnectBindError",
    "ConnectError",
    "ConnectingCancelledError",
    "ConnectionAborted",
    "ConnectionClosed",
    "ConnectionDone",
    "ConnectionFdescWentAway",
    "ConnectionLost",
    "ConnectionRefusedError",
    "DNSError",
    "DNSFormatError",
    "DNSLookupError",
    "DNSNameError",
    "DNSNotImplementedError",
    "DNSQueryRefusedError",
    "DNSQueryTimeoutError",
    "DNSServerError",
    "DNSUnknownError",
    "DomainError",
    "InvalidAddressError",
    "MessageLengthError",
    "MissingCapability",
    "MulticastJoinError",
    "NoProtocol",
    "NoRouteError",
    "NotConnectingError",
    "NotListeningError",
    "PeerVerifyError",
    "PlaitError",
    "ProcessDone",
    "ProcessExitedAlready",
    "ProcessTerminated",
    "ReactorAlreadyRunning",
    "ReactorNotRestartable",
    "ReactorNotRunning",
    "SSLError",
    "ServiceNameUnknownError",
    "TCPTimedOutError",
    "TimeoutError",
    "UnknownHostError",
    "UserError",
]


def _sentence(summary: str, details: Iterable[object]) -> str:
    """Join *summary* and the non-empty *details* with colons, ending in a dot."""
    parts = [summary]
    parts.extend(str(d) for d in details if d is not None and str(d) != "")
    text = ": ".join(parts)
    return text if text.endswith(".") else text + "."


class PlaitError(Exception):
    """Base class of every exception plait defines."""

    #: The sentence ``str()`` starts with; each subclass words its own.
    summary = "An error occurred in plait"

    def __str__(self) -> str:
        return _sentence(self.summary, self.args)


# --- connecting -----------------------------------------------------------


class ConnectError(PlaitError):
    """A connection could not be established.

    :param osError: what the operating system reported, usually an errno
        number or an :class:`OSError`; ``None`` when not applicable.
    :param string: extra human-readable detail.
    """

    summary = "Connecting failed"

    def __init__(self, osError: object = None, string: str = "") -> None:
        super().__init__(osError, string)
        self.osError = osError
        self.string = string

    def __str__(self) -> str:
        return _sentence(self.summary, (self.osError, self.string))


class ConnectBindError(ConnectError):
    """The local address to connect from could not be bound."""

    summary = "Binding the local address for the connection failed"


class UnknownHostError(ConnectError):
    """The host to connect to is not known."""

    summary = "The host to connect to is unknown"


class NoRouteError(ConnectError):
    """The network offers no route to the host."""

    summary = "No route leads to the host"


class ConnectionRefusedError(ConnectError):
    """The peer answered, but refused the connection (nothing listens there).

    Unrelated to the builtin of the same name.
    """

    summary = "The peer refused the connection"


class TCPTimedOutError(ConnectError):
    """The kernel gave up on the TCP handshake (``ETIMEDOUT``)."""

    summary = "The TCP handshake timed out"


class TimeoutError(ConnectError, builtins.TimeoutError):
    """An operation took longer than it was allowed to.

    Raised for a connect timeout and by ``Deferred.addTimeout``.  It is
    also a builtin :class:`TimeoutError` (so ``except TimeoutError`` works
    with either name), with ``errno`` set to ``ETIMEDOUT``.
    """

    summary = "The operation timed out"

    def __init__(self, osError: object = None, string: str = "") -> None:
        super().__init__(osError, string)
        # OSError.__init__ read our two arguments as (errno, strerror);
        # put values there that describe a timeout instead.
        self.errno = _errno.ETIMEDOUT
        self.strerror = os.strerror(_errno.ETIMEDOUT)


class DNSLookupError(ConnectError):
    """The host name could not be resolved to an address."""

    summary = "The host name could not be resolved"


class SSLError(ConnectError):
    """The TLS layer failed: handshake, verification or protocol error.

    :param reason: when the peer's certificate was rejected, a short
        explanation of why (expired, wrong host name, untrusted issuer...);
        otherwise ``None``.  Given by keyword.
    """

    summary = "The TLS layer failed"

    def __init__(
        self, osError: object = None, string: str = "", *, reason: str | None = None
    ) -> None:
        super().__init__(osError, string)
        self.reason = reason

    def __str__(self) -> str:
        return _sentence(self.summary, (self.osError, self.string, self.reason))


class PeerVerifyError(SSLError):
    """The peer's certificate did not pass verification; see ``reason``."""

    summary = "The peer's certificate was rejected"


class BadFileError(ConnectError):
    """A file descriptor handed to plait was not usable."""

    summary = "The file descriptor is not usable"


class ServiceNameUnknownError(ConnectError):
    """A service name given instead of a port number is not known."""

    summary = "The service name is unknown"


class UserError(ConnectError):
    """The connection attempt was stopped on request (``stopConnecting``)."""

    summary = "The connection attempt was stopped by the user"


class NoProtocol(ConnectError):
    """The factory declined the connection: ``buildProtocol`` gave ``None``."""

    summary = "The factory built no protocol for the connection"


# --- listening ------------------------------------------------------------


class CannotListenError(PlaitError):
    """A port could not be bound or put into listening state.

    :param interface: the local address asked for; ``None`` or ``""`` for
        all interfaces.
    :param port: the port number (or, for UNIX sockets, the path).
    :param socketError: the underlying error, usually an :class:`OSError`.
    """

    def __init__(
        self, interface: str | None, port: object, socketError: object
    ) -> None:
        super().__init__(interface, port, socketError)
        self.interface = interface
        self.port = port
        self.socketError = socketError

    def __str__(self) -> str:
        where = self.interface or "any"
        return f"Couldn't listen on {where}:{self.port}: {self.socketError}."


class AlreadyListened(PlaitError):
    """A descriptor that is already listening was asked to listen again."""

    summary = "The descriptor is already listening"


class NotListeningError(PlaitError, RuntimeError):
    """A port that is not listening was asked to stop listening."""

    summary = "The port is not listening"


class NotConnectingError(PlaitError, RuntimeError):
    """A connector that is not connecting was asked to stop connecting."""

    summary = "The connector is not trying to connect"


class InvalidAddressError(PlaitError, ValueError):
    """An address is malformed or of the wrong kind for the operation.

    :param address: the offending address.
    :param message: what is wrong with it.
    """

    def __init__(self, address: object, message: str) -> None:
        super().__init__(address, message)
        self.address = address
        self.message = message

    def __str__(self) -> str:
        return _sentence(f"Invalid address {self.address!r}", (self.message,))


# --- a connection ending --------------------------------------------------


class ConnectionClosed(PlaitError):
    """Base of the reasons a connection ended."""

    summary = "The connection was closed"


class ConnectionDone(ConnectionClosed):
    """The connection was closed cleanly, by either side."""

    summary = "The connection was closed cleanly"


class ConnectionLost(ConnectionClosed):
    """The connection ended uncleanly (reset, error, abort...)."""

    summary = "The connection was lost uncleanly"


class ConnectionAborted(ConnectionLost):
    """The connection was dropped on purpose by ``abortConnection()``."""

    summary = "The connection was aborted locally"


class ConnectionFdescWentAway(ConnectionLost):
    """The descriptor under the connection was closed behind plait's back."""

    summary = "The file descriptor of the connection went away"


class ProcessDone(ConnectionDone):
    """A child process exited with status 0.

    :param status: the raw wait status; ``exitCode`` is 0 and ``signal`` is
        ``None``.
    """

    def __init__(self, status: int | None) -> None:
        super().__init__(status)
        self.exitCode = 0
        self.signal: int | None = None
        self.status = status

    def __str__(self) -> str:
        return "The process exited normally, with code 0."


def _signal_text(number: int) -> str:
    """Render a signal number with its name when the platform knows one."""
    try:
        return f"{number} ({_signal.Signals(number).name})"
    except ValueError:
        return str(number)


class ProcessTerminated(ConnectionLost):
    """A child process exited with a non-zero code or was killed by a signal.

    :param exitCode: the exit code, or ``None`` when a signal ended it.
    :param signal: the number of the signal that ended it, or ``None``.
    :param status: the raw wait status, when known.
    """

    def __init__(
        self,
        exitCode: int | None = None,
        signal: int | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(exitCode, signal, status)
        self.exitCode = exitCode
        self.signal = signal
        self.status = status

    def __str__(self) -> str:
        if self.signal is not None:
            return f"The process was killed by signal {_signal_text(self.signal)}."
        if self.exitCode is not None:
            return f"The process exited with code {self.exitCode}."
        return "The process ended abnormally."


class ProcessExitedAlready(PlaitError):
    """The child process has already exited, so it cannot be signalled."""

    summary = "The process has already exited"


# --- datagrams ------------------------------------------------------------


class MessageLengthError(PlaitError):
    """A datagram was too long to be sent in one piece."""

    summary = "The datagram is too long"


class MulticastJoinError(PlaitError):
    """Joining a multicast group failed."""

    summary = "Joining the multicast group failed"


# --- timed calls and Deferreds --------------------------------------------


class AlreadyCalled(PlaitError, ValueError):
    """A delayed call that has already run was cancelled, delayed or reset."""

    summary = "The delayed call has already run"


class AlreadyCancelled(PlaitError, ValueError):
    """A delayed call that was cancelled was cancelled, delayed or reset."""

    summary = "The delayed call was already cancelled"


class AlreadyCalledError(PlaitError):
    """A Deferred that has already fired was fired again."""

    summary = "The Deferred has already fired"


class CancelledError(PlaitError):
    """The operation (typically a Deferred) was cancelled.

    Independent of :class:`asyncio.CancelledError` on purpose: a plait
    cancellation is an ordinary error to handle, not a task-control signal.
    """

    summary = "The operation was cancelled"


class ConnectingCancelledError(CancelledError):
    """An endpoint's connection attempt was cancelled before it completed.

    :param address: the address that was being connected to.
    """

    def __init__(self, address: object) -> None:
        super().__init__(address)
        self.address = address

    def __str__(self) -> str:
        return f"Connecting to {self.address} was cancelled."


# --- the reactor's life cycle ---------------------------------------------


class ReactorNotRunning(PlaitError, RuntimeError):
    """The reactor was asked to stop, but it is not running."""

    summary = "The reactor is not running"


class ReactorAlreadyRunning(PlaitError, RuntimeError):
    """The reactor was asked to run, but it is running already."""

    summary = "The reactor is already running"


class ReactorNotRestartable(PlaitError, RuntimeError):
    """The reactor was asked to run again after it had stopped."""

    summary = "The reactor cannot be restarted"


# --- missing capabilities -------------------------------------------------


class MissingCapability(PlaitError, AttributeError):
    """A reactor method belongs to a distribution that is not installed.

    Being an :class:`AttributeError`, it keeps ``hasattr(reactor, name)``
    false.

    :param method: the method name, such as ``"listenUNIX"``.
    :param distribution: the requirement that provides it, such as
        ``"plait-unix"`` or ``"plait-tcp[tls]"``.
    """

    def __init__(self, method: str, distribution: str) -> None:
        super().__init__(method, distribution, name=method)
        self.method = method
        self.distribution = distribution

    def __str__(self) -> str:
        return (
            f"{self.method}() needs the {self.distribution} distribution: "
            f"pip install {shlex.quote(self.distribution)}"
        )


# --- DNS ------------------------------------------------------------------


class DNSError(PlaitError):
    """Base of the errors of DNS lookups (see plait-dns).

    A resolver sets ``name`` (the domain name asked, as text) and ``type``
    (the record type's mnemonic, such as ``"AAAA"``) on the errors it
    raises; both stay ``None`` where no query is concerned.
    """

    summary = "The DNS lookup failed"
    name: str | None = None
    type: str | None = None


class DomainError(DNSError, ValueError):
    """The lookup found no records of the requested type for the name."""

    summary = "No records of that type exist for the name"


class AuthoritativeDomainError(DomainError):
    """An authoritative server stated that the requested records do not exist."""

    summary = "An authoritative server has no such records"


class DNSFormatError(DomainError):
    """The server could not parse our query (response code ``FORMERR``)."""

    summary = "The server rejected the query as malformed"


class DNSServerError(DomainError):
    """The server failed to process the query (``SERVFAIL``)."""

    summary = "The server failed to process the query"


class DNSNameError(DomainError):
    """The queried name does not exist (``NXDOMAIN``)."""

    summary = "The name does not exist"


class DNSNotImplementedError(DomainError):
    """The server does not support this kind of query (``NOTIMP``)."""

    summary = "The server does not support the query"


class DNSQueryRefusedError(DomainError):
    """The server refused to answer the query (``REFUSED``)."""

    summary = "The server refused the query"


class DNSUnknownError(DomainError):
    """The server answered with a response code plait does not know."""

    summary = "The server answered with an unknown error code"


class DNSQueryTimeoutError(DNSError, TimeoutError):
    """No server answered a DNS query in time.

    Also a :class:`TimeoutError`, as :meth:`IResolverSimple.getHostByName`
    promises.

    :param id: the identifier of the query that went unanswered.
    """

    def __init__(self, id: object) -> None:
        super().__init__(None, "")
        self.args = (id,)
        self.id = id

    def __str__(self) -> str:
        return f"The DNS query {self.id!r} timed out."
