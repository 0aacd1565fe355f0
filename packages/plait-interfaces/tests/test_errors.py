"""The exception classes of plait.errors: hierarchy, attributes and messages."""

from __future__ import annotations

import asyncio
import builtins
import errno
import inspect
import pickle

import pytest

from plait import errors

ALL_ERRORS = [getattr(errors, name) for name in errors.__all__]

CONNECT_ERRORS = [
    errors.ConnectBindError,
    errors.UnknownHostError,
    errors.NoRouteError,
    errors.ConnectionRefusedError,
    errors.TCPTimedOutError,
    errors.TimeoutError,
    errors.DNSLookupError,
    errors.SSLError,
    errors.PeerVerifyError,
    errors.BadFileError,
    errors.ServiceNameUnknownError,
    errors.UserError,
    errors.NoProtocol,
]

DNS_RCODE_ERRORS = [
    errors.DNSFormatError,
    errors.DNSServerError,
    errors.DNSNameError,
    errors.DNSNotImplementedError,
    errors.DNSQueryRefusedError,
    errors.DNSUnknownError,
    errors.AuthoritativeDomainError,
]

# One valid set of constructor arguments for each class that needs some.
SAMPLE_ARGS: dict[type[BaseException], tuple[object, ...]] = {
    errors.CannotListenError: ("127.0.0.1", 80, OSError(errno.EADDRINUSE, "busy")),
    errors.InvalidAddressError: ("nowhere", "not an IP address"),
    errors.ProcessDone: (0,),
    errors.ProcessTerminated: (3, None, 768),
    errors.ConnectingCancelledError: ("example.com:80",),
    errors.MissingCapability: ("listenUNIX", "plait-unix"),
    errors.DNSQueryTimeoutError: (4242,),
}


def _sample(cls: type[BaseException]) -> BaseException:
    """Build an instance of *cls* with representative arguments."""
    return cls(*SAMPLE_ARGS.get(cls, ()))


def test_all_lists_every_exception_class() -> None:
    """errors.__all__ names every exception class the module defines, and only those."""
    defined = {
        name
        for name, obj in vars(errors).items()
        if inspect.isclass(obj)
        and issubclass(obj, BaseException)
        and obj.__module__ == errors.__name__
    }
    assert set(errors.__all__) == defined


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda c: c.__name__)
def test_every_error_derives_from_plait_error(cls: type[BaseException]) -> None:
    """Every plait exception can be caught as PlaitError."""
    assert issubclass(cls, errors.PlaitError)


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda c: c.__name__)
def test_every_error_has_docstring_and_sentence_str(cls: type[BaseException]) -> None:
    """Each class is documented and renders a one-line sentence ending with a dot."""
    assert (cls.__doc__ or "").strip()
    text = str(_sample(cls))
    assert text
    assert "\n" not in text
    if cls is not errors.MissingCapability:
        assert text.endswith(".")


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda c: c.__name__)
def test_every_error_survives_pickling(cls: type[BaseException]) -> None:
    """An error pickles and unpickles to the same class, args and message."""
    original = _sample(cls)
    copy = pickle.loads(pickle.dumps(original))  # noqa: S301 - our own data
    assert type(copy) is cls
    assert repr(copy.args) == repr(original.args)
    assert str(copy) == str(original)


@pytest.mark.parametrize("cls", CONNECT_ERRORS, ids=lambda c: c.__name__)
def test_connect_error_family(cls: type[errors.ConnectError]) -> None:
    """Connection failures subclass ConnectError and keep osError and string."""
    assert issubclass(cls, errors.ConnectError)
    error = cls(errno.ECONNREFUSED, "while dialling")
    assert error.osError == errno.ECONNREFUSED
    assert error.string == "while dialling"
    assert str(error).endswith(f": {errno.ECONNREFUSED}: while dialling.")


def test_connect_error_message_parts() -> None:
    """ConnectError's str() shows the OS error and the detail only when given."""
    assert str(errors.ConnectError()) == "Connecting failed."
    assert str(errors.ConnectError(string="no luck")) == "Connecting failed: no luck."
    reason = OSError(errno.EHOSTUNREACH, "unreachable")
    assert str(errors.ConnectError(reason)) == f"Connecting failed: {reason}."
    assert errors.ConnectError(reason).osError is reason
    assert str(errors.ConnectError(7, "x")) == "Connecting failed: 7: x."


def test_connect_errors_have_distinct_summaries() -> None:
    """Each ConnectError subclass words its message differently."""
    summaries = {str(cls()) for cls in CONNECT_ERRORS} | {str(errors.ConnectError())}
    assert len(summaries) == len(CONNECT_ERRORS) + 1


def test_timeout_error_is_also_builtin_timeout() -> None:
    """plait's TimeoutError is also the builtin one, with errno ETIMEDOUT."""
    error = errors.TimeoutError(30, "Deferred")
    assert isinstance(error, builtins.TimeoutError)
    assert isinstance(error, OSError)
    assert isinstance(error, errors.ConnectError)
    assert error.errno == errno.ETIMEDOUT
    assert error.osError == 30
    assert error.string == "Deferred"
    assert str(error) == "The operation timed out: 30: Deferred."
    with pytest.raises(builtins.TimeoutError):
        raise errors.TimeoutError()


def test_tcp_timed_out_is_not_the_generic_timeout() -> None:
    """The kernel's handshake timeout is a ConnectError apart from TimeoutError."""
    assert not issubclass(errors.TCPTimedOutError, errors.TimeoutError)


def test_connection_refused_is_not_the_builtin() -> None:
    """plait's ConnectionRefusedError is a ConnectError, distinct from the builtin."""
    assert not issubclass(
        errors.ConnectionRefusedError, builtins.ConnectionRefusedError
    )
    assert not issubclass(errors.ConnectionRefusedError, OSError)


def test_ssl_error_reason() -> None:
    """SSLError keeps a keyword-only reason, defaulting to None, and shows it."""
    assert errors.SSLError().reason is None
    error = errors.PeerVerifyError(string="handshake", reason="certificate expired")
    assert isinstance(error, errors.SSLError)
    assert error.reason == "certificate expired"
    assert "certificate expired" in str(error)
    with pytest.raises(TypeError):
        errors.SSLError(None, "", "positional reason")  # type: ignore[call-arg]  # misuse on purpose


def test_cannot_listen_error() -> None:
    """CannotListenError keeps its three arguments and says where it failed."""
    cause = OSError(errno.EADDRINUSE, "Address already in use")
    error = errors.CannotListenError("127.0.0.1", 8080, cause)
    assert error.interface == "127.0.0.1"
    assert error.port == 8080
    assert error.socketError is cause
    assert str(error) == f"Couldn't listen on 127.0.0.1:8080: {cause}."
    assert str(errors.CannotListenError("", 80, "busy")) == (
        "Couldn't listen on any:80: busy."
    )
    assert str(errors.CannotListenError(None, "/tmp/s", "busy")).startswith(
        "Couldn't listen on any:/tmp/s"
    )


def test_connection_closed_family() -> None:
    """Done and Lost share ConnectionClosed; Aborted and FdescWentAway are Lost."""
    assert issubclass(errors.ConnectionDone, errors.ConnectionClosed)
    assert issubclass(errors.ConnectionLost, errors.ConnectionClosed)
    assert not issubclass(errors.ConnectionDone, errors.ConnectionLost)
    assert issubclass(errors.ConnectionAborted, errors.ConnectionLost)
    assert issubclass(errors.ConnectionFdescWentAway, errors.ConnectionLost)
    assert str(errors.ConnectionLost("reset by peer")) == (
        "The connection was lost uncleanly: reset by peer."
    )
    assert str(errors.ConnectionDone()) == "The connection was closed cleanly."


def test_process_done() -> None:
    """ProcessDone is a clean ending with exit code 0 and no signal."""
    error = errors.ProcessDone(0)
    assert isinstance(error, errors.ConnectionDone)
    assert (error.exitCode, error.signal, error.status) == (0, None, 0)
    assert "code 0" in str(error)


def test_process_terminated_by_exit_code() -> None:
    """ProcessTerminated keeps its attributes and mentions the exit code."""
    error = errors.ProcessTerminated(exitCode=2, status=512)
    assert isinstance(error, errors.ConnectionLost)
    assert (error.exitCode, error.signal, error.status) == (2, None, 512)
    assert str(error) == "The process exited with code 2."


def test_process_terminated_by_signal() -> None:
    """A signal-ended process names the signal number and its name."""
    error = errors.ProcessTerminated(signal=15)
    assert error.exitCode is None
    assert str(error) == "The process was killed by signal 15 (SIGTERM)."
    assert "signal 250." in str(errors.ProcessTerminated(signal=250))


def test_process_terminated_without_details() -> None:
    """With neither code nor signal the message still says the process ended."""
    assert str(errors.ProcessTerminated()) == "The process ended abnormally."


def test_missing_capability_message_and_attributes() -> None:
    """MissingCapability is an AttributeError naming the method and how to install."""
    error = errors.MissingCapability("listenUNIX", "plait-unix")
    assert isinstance(error, AttributeError)
    assert (error.method, error.distribution, error.name) == (
        "listenUNIX",
        "plait-unix",
        "listenUNIX",
    )
    assert str(error) == (
        "listenUNIX() needs the plait-unix distribution: pip install plait-unix"
    )


def test_missing_capability_quotes_extras() -> None:
    """A requirement with extras is shell-quoted in the pip command."""
    error = errors.MissingCapability("listenSSL", "plait-tcp[tls]")
    assert str(error) == (
        "listenSSL() needs the plait-tcp[tls] distribution: "
        "pip install 'plait-tcp[tls]'"
    )


def test_missing_capability_keeps_hasattr_false() -> None:
    """Raising MissingCapability from __getattr__ makes hasattr() return False."""

    class Reactor:
        def __getattr__(self, name: str) -> object:
            raise errors.MissingCapability(name, "plait-udp")

    assert not hasattr(Reactor(), "listenUDP")


def test_value_and_runtime_error_bases() -> None:
    """Misuse errors are also ValueError or RuntimeError, as their names suggest."""
    for value_error in (errors.AlreadyCalled, errors.AlreadyCancelled):
        assert issubclass(value_error, ValueError)
    for cls in (
        errors.ReactorNotRunning,
        errors.ReactorAlreadyRunning,
        errors.ReactorNotRestartable,
        errors.NotConnectingError,
        errors.NotListeningError,
    ):
        assert issubclass(cls, RuntimeError)
    assert issubclass(errors.InvalidAddressError, ValueError)


def test_invalid_address_error() -> None:
    """InvalidAddressError keeps the address and the explanation."""
    error = errors.InvalidAddressError("1.2.3", "too few octets")
    assert (error.address, error.message) == ("1.2.3", "too few octets")
    assert str(error) == "Invalid address '1.2.3': too few octets."


def test_cancelled_error_is_not_asyncio() -> None:
    """CancelledError is a plain plait error, unrelated to asyncio's."""
    assert not issubclass(errors.CancelledError, asyncio.CancelledError)
    assert not issubclass(asyncio.CancelledError, errors.CancelledError)
    assert issubclass(errors.CancelledError, Exception)


def test_connecting_cancelled_error() -> None:
    """A cancelled endpoint connection is a CancelledError that keeps the address."""
    error = errors.ConnectingCancelledError("example.com:443")
    assert isinstance(error, errors.CancelledError)
    assert error.address == "example.com:443"
    assert str(error) == "Connecting to example.com:443 was cancelled."


def test_deferred_and_delayed_call_errors_are_distinct() -> None:
    """A Deferred fired twice and a delayed call run twice raise different classes."""
    assert not issubclass(errors.AlreadyCalledError, errors.AlreadyCalled)
    assert not issubclass(errors.AlreadyCalled, errors.AlreadyCalledError)
    assert str(errors.AlreadyCalledError()) == "The Deferred has already fired."


@pytest.mark.parametrize("cls", DNS_RCODE_ERRORS, ids=lambda c: c.__name__)
def test_dns_domain_errors(cls: type[errors.DomainError]) -> None:
    """Every DNS answer error is a DomainError, a DNSError and a ValueError."""
    assert issubclass(cls, errors.DomainError)
    assert issubclass(cls, errors.DNSError)
    assert issubclass(cls, ValueError)
    assert str(cls("example.com")).endswith(": example.com.")


def test_dns_query_timeout_error() -> None:
    """A DNS query timeout keeps the query id and is a TimeoutError of both kinds."""
    error = errors.DNSQueryTimeoutError(4242)
    assert error.id == 4242
    assert error.args == (4242,)
    assert isinstance(error, errors.DNSError)
    assert isinstance(error, errors.TimeoutError)
    assert isinstance(error, builtins.TimeoutError)
    assert not isinstance(error, errors.DomainError)
    assert str(error) == "The DNS query 4242 timed out."


def test_dns_lookup_error_is_a_connect_error() -> None:
    """A failed host name resolution is reported as a ConnectError."""
    assert issubclass(errors.DNSLookupError, errors.ConnectError)
    assert str(errors.DNSLookupError(string="example.invalid")) == (
        "The host name could not be resolved: example.invalid."
    )


def test_messages_do_not_double_the_full_stop() -> None:
    """A detail that already ends with a dot does not get a second one."""
    assert str(errors.ConnectionLost("peer went away.")) == (
        "The connection was lost uncleanly: peer went away."
    )
