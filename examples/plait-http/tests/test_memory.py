"""The HTTP channel over an in-memory transport, with a fake clock."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from plait.core import Deferred, Failure
from plait.core.testing import ProductionState
from plait.errors import ConnectionDone
from plait_http import BODY_HIGH_WATER, Exchange, Response

TEXT = ((b"content-type", b"text/plain"),)
Memory = Any
Recorder = Any
GET = b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"


def test_get_answers_with_length_and_date(memory: Memory) -> None:
    """A GET is answered with the body, its content-length and a date."""
    memory.send(GET)
    out = memory.take()
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\ncontent-length: 13" in head
    assert b"\r\ndate: " in head
    assert body == b"Hello, world!"
    assert not memory.transport.disconnecting


def test_pipelined_requests_answered_in_order(
    memory: Memory, recorder: Recorder
) -> None:
    """Pipelined requests get their responses in request order, even when
    the first one waits."""
    memory.send(
        b"GET /wait HTTP/1.1\r\n\r\nGET /target?2 HTTP/1.1\r\n\r\n"
        b"GET /target?3 HTTP/1.1\r\n\r\n"
    )
    assert memory.take() == b""
    recorder.released[0].callback(None)
    out = memory.take()
    assert out.index(b"released") < out.index(b"/target?2") < out.index(b"/target?3")
    assert out.count(b"HTTP/1.1 200 OK") == 3


def test_chunked_request_body_is_read(memory: Memory) -> None:
    """A chunked request body arrives whole at the handler."""
    memory.send(
        b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )
    assert memory.take().endswith(b"\r\n\r\nhello world")


def test_content_length_body_across_reads(memory: Memory) -> None:
    """A content-length body split over several reads is read whole."""
    memory.send(b"POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234")
    assert memory.take() == b""
    memory.send(b"56789")
    assert memory.take().endswith(b"content-length: 10\r\n\r\n0123456789")


def test_streamed_response_is_chunked(memory: Memory, recorder: Recorder) -> None:
    """An iterator body without a length goes out chunked on HTTP/1.1."""
    memory.send(b"GET /stream?70000 HTTP/1.1\r\n\r\n")
    out = memory.take()
    assert b"transfer-encoding: chunked" in out
    assert b"\r\n10000\r\n" in out and out.endswith(
        b"\r\n1170\r\n" + b"x" * 4464 + b"\r\n0\r\n\r\n"
    )
    assert recorder.streamClosed


def test_streamed_response_on_http10_closes(memory: Memory) -> None:
    """On HTTP/1.0 a body of unknown length ends with the connection."""
    memory.send(b"GET /stream?10 HTTP/1.0\r\n\r\n")
    out = memory.take()
    assert b"connection: close" in out and out.endswith(b"\r\n\r\nxxxxxxxxxx")
    assert memory.transport.disconnecting


def test_http10_keep_alive_is_acknowledged(memory: Memory) -> None:
    """An HTTP/1.0 client asking for keep-alive is told it has it."""
    memory.send(b"GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert b"connection: keep-alive" in memory.take()
    assert not memory.transport.disconnecting


def test_head_has_length_but_no_body(memory: Memory) -> None:
    """HEAD gets the headers a GET would get, without the body."""
    memory.send(b"HEAD /hello HTTP/1.1\r\n\r\n" + GET)
    out = memory.take()
    first, second = out.split(b"HTTP/1.1 200 OK")[1:]
    assert b"content-length: 13\r\n" in first and first.endswith(b"\r\n\r\n")
    assert second.endswith(b"Hello, world!")


def test_no_body_status_has_no_framing(memory: Memory) -> None:
    """A 204 carries neither a body nor content-length."""
    memory.send(b"GET /nobody HTTP/1.1\r\n\r\n")
    out = memory.take()
    assert out.startswith(b"HTTP/1.1 204 No Content\r\n")
    assert b"content-length" not in out and out.endswith(b"\r\n\r\n")


def test_expect_continue_sent_when_body_is_read(memory: Memory) -> None:
    """``100 Continue`` goes out when the handler starts reading the body."""
    memory.send(
        b"POST /echo HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"
    )
    assert memory.take() == b"HTTP/1.1 100 Continue\r\n\r\n"
    memory.send(b"abc")
    assert memory.take().endswith(b"\r\n\r\nabc")


def test_expect_continue_unread_body_closes(memory: Memory) -> None:
    """Answering without reading a body the client holds back closes the
    connection, and no 100 Continue is sent."""
    memory.send(
        b"POST /hello HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"
    )
    out = memory.take()
    assert b"100 Continue" not in out and b"connection: close" in out
    assert memory.transport.disconnecting


def test_unread_body_is_skipped_on_keep_alive(memory: Memory) -> None:
    """A body the handler ignores is skipped and the next request served."""
    memory.send(
        b"POST /target HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde"
        b"GET /hello HTTP/1.1\r\n\r\n"
    )
    out = memory.take()
    assert out.count(b"200 OK") == 2 and out.endswith(b"Hello, world!")


def test_malformed_request_line_gets_400_and_close(memory: Memory) -> None:
    """A malformed request line is answered with 400 and the connection closes."""
    memory.send(b"GET / HTTP/1.1 junk\r\n\r\n")
    out = memory.take()
    assert out.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"connection: close" in out
    assert memory.transport.disconnecting


def test_bad_header_after_good_request_answers_both(memory: Memory) -> None:
    """A bad request pipelined after a good one: 200, then 400, then close."""
    memory.send(GET + b"GET / HTTP/1.1\r\nBad Header\r\n\r\n")
    out = memory.take()
    assert out.index(b"200 OK") < out.index(b"400 Bad Request")
    assert out.count(b"connection: close") == 1
    assert memory.transport.disconnecting


def test_headers_over_limit_get_431(memory: Memory) -> None:
    """More than 64 KiB of headers is answered with 431."""
    memory.send(b"GET / HTTP/1.1\r\n")
    for i in range(100):
        memory.send(b"X-%d: %s\r\n" % (i, b"v" * 1000))
    assert memory.take().startswith(b"HTTP/1.1 431 Request Header Fields Too Large")
    assert memory.transport.disconnecting


def test_one_huge_header_gets_431(memory: Memory) -> None:
    """A single endless header value is cut off at the limit too."""
    memory.send(b"GET / HTTP/1.1\r\nX-Long: ")
    for _ in range(4):
        memory.send(b"v" * 65536)
    assert memory.take().startswith(b"HTTP/1.1 431 ")


def test_idle_keep_alive_connection_closes(memory: Memory) -> None:
    """A kept-alive connection with no new request closes after idleTimeout."""
    memory.send(GET)
    memory.clock.advance(14.0)
    assert not memory.transport.disconnecting
    memory.clock.advance(1.5)
    assert memory.transport.disconnecting


def test_slow_head_gets_408(memory: Memory) -> None:
    """A client sending its head slower than headerTimeout gets 408 and close."""
    memory.send(GET)
    memory.take()
    memory.send(b"GET / HTTP/1.1\r\n")
    for _ in range(25):
        memory.clock.advance(1.0)
        if memory.transport.disconnecting:
            break
        memory.send(b"X: y\r\n")
    assert memory.transport.disconnecting
    assert memory.take().startswith(b"HTTP/1.1 408 Request Timeout")


def test_busy_connection_is_not_timed_out(memory: Memory, recorder: Recorder) -> None:
    """A connection whose handler is still working is not closed as idle."""
    memory.send(b"GET /wait HTTP/1.1\r\n\r\n")
    memory.clock.advance(100.0)
    assert not memory.transport.disconnecting
    recorder.released[0].callback(None)
    assert memory.take().endswith(b"released")


def test_raising_handler_gets_500_logged_once(
    memory: Memory, caplog: pytest.LogCaptureFixture
) -> None:
    """A handler that raises: 500 with nothing of the exception, logged once;
    the connection serves the next request."""
    with caplog.at_level(logging.ERROR, logger="plait_http"):
        memory.send(b"GET /boom HTTP/1.1\r\n\r\n" + GET)
    out = memory.take()
    assert out.startswith(b"HTTP/1.1 500 Internal Server Error")
    assert b"secret" not in out and b"RuntimeError" not in out
    assert out.endswith(b"Hello, world!")
    failures = [r for r in caplog.records if r.exc_info]
    assert len(failures) == 1 and "secret detail" in str(failures[0].exc_info[1])


def test_unread_body_pauses_reading(makeMemory: Any) -> None:
    """A body the async handler does not read yet pauses the socket above
    the high-water mark; reading resumes once the handler takes it."""
    gate: Deferred[None] = Deferred()

    async def slow(request: Any) -> Response:
        await gate
        return Response(200, TEXT, b"%d" % len(await request.body.read()))

    memory = makeMemory(slow)
    size = 4 * BODY_HIGH_WATER
    memory.send(b"POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % size)
    chunk = b"z" * 16384
    for _ in range(size // len(chunk)):
        memory.send(chunk)
    assert memory.transport.producerState is ProductionState.PAUSED
    gate.callback(None)
    assert memory.transport.producerState is ProductionState.PRODUCING
    assert memory.take().endswith(b"\r\n\r\n%d" % size)


def test_slow_protocol_handler_pauses_socket(makeMemory: Any) -> None:
    """A Protocol-level receiver that pauses the body makes the connection
    stop reading once more than the high-water mark waits."""
    got: list[bytes] = []
    exchanges: list[Exchange] = []

    class Receiver:
        def dataReceived(self, data: bytes) -> None:
            got.append(data)

        def bodyEnded(self, error: Exception | None) -> None:
            exchanges[0].respond(200, TEXT, b"%d" % sum(map(len, got)))

    class Handler:
        def requestReceived(self, exchange: Exchange) -> None:
            exchanges.append(exchange)
            exchange.pauseProducing()
            exchange.deliverBody(Receiver())

    memory = makeMemory(Handler())
    size = 3 * BODY_HIGH_WATER
    memory.send(b"PUT / HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % size)
    memory.send(b"a" * (BODY_HIGH_WATER + 1))
    assert memory.transport.producerState is ProductionState.PAUSED
    assert got == []
    exchanges[0].resumeProducing()
    assert memory.transport.producerState is ProductionState.PRODUCING
    memory.send(b"a" * (size - BODY_HIGH_WATER - 1))
    assert memory.take().endswith(b"\r\n\r\n%d" % size)


def test_protocol_level_streaming_api(makeMemory: Any) -> None:
    """writeHead, write and finish frame a body without a length as chunks."""

    class Handler:
        def requestReceived(self, exchange: Exchange) -> None:
            exchange.writeHead(200, [("content-type", "text/plain")])
            exchange.write(b"one")
            exchange.write(b"two")
            exchange.finish()

    memory = makeMemory(Handler())
    memory.send(GET)
    assert memory.take().endswith(b"3\r\none\r\n3\r\ntwo\r\n0\r\n\r\n")


def test_header_injection_is_refused(makeMemory: Any) -> None:
    """A header value with CR LF is refused: 500, nothing of it sent."""

    async def bad(request: Any) -> Response:
        return Response(200, ((b"x", b"a\r\nset-cookie: evil"),), b"")

    memory = makeMemory(bad)
    memory.send(GET)
    out = memory.take()
    assert out.startswith(b"HTTP/1.1 500 ") and b"evil" not in out


def test_graceful_stop_finishes_in_flight(memory: Memory, recorder: Recorder) -> None:
    """Stopping lets the request in flight finish, with connection: close."""
    memory.send(b"GET /wait HTTP/1.1\r\n\r\n")
    done = memory.factory.stopGracefully(5.0)
    recorder.released[0].callback(None)
    out = memory.take()
    assert out.endswith(b"released") and b"connection: close" in out
    assert memory.transport.disconnecting
    memory.channel.connectionLost(Failure(ConnectionDone("closed")))
    assert done.called


def test_graceful_stop_aborts_after_grace(memory: Memory) -> None:
    """A request still running after the grace period is aborted."""
    memory.send(b"GET /wait HTTP/1.1\r\n\r\n")
    memory.factory.stopGracefully(5.0)
    memory.clock.advance(4.0)
    assert not memory.transport.aborted
    memory.clock.advance(1.5)
    assert memory.transport.aborted


def test_graceful_stop_closes_idle_at_once(memory: Memory) -> None:
    """An idle kept-alive connection is closed at once by a stop."""
    memory.send(GET)
    memory.factory.stopGracefully(5.0)
    assert memory.transport.disconnecting


def test_head_does_not_run_a_streamed_body(memory: Memory, recorder: Recorder) -> None:
    """HEAD of a streamed response sends the head and never reads the
    iterator."""
    memory.send(b"HEAD /stream?1000000 HTTP/1.1\r\n\r\n" + GET)
    out = memory.take()
    assert out.startswith(b"HTTP/1.1 200 OK\r\n") and out.endswith(b"Hello, world!")
    assert b"xxxx" not in out
    assert recorder.produced == 0


def test_handler_failing_after_a_wait_gets_500(
    makeMemory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A handler that raises after awaiting is answered with 500 too, and
    its exception is logged once."""
    gate: Deferred[None] = Deferred()

    async def late(request: Any) -> Response:
        await gate
        raise KeyError("hidden")

    memory = makeMemory(late)
    with caplog.at_level(logging.ERROR, logger="plait_http"):
        memory.send(GET)
        gate.callback(None)
    out = memory.take()
    assert out.startswith(b"HTTP/1.1 500 ") and b"hidden" not in out
    assert len([r for r in caplog.records if r.exc_info]) == 1


def test_plain_function_returning_response_is_served(makeMemory: Any) -> None:
    """A handler that is a plain function returning a Response is served."""
    memory = makeMemory(lambda request: Response(201, [("x-kind", "plain")], b"ok"))
    memory.send(GET)
    out = memory.take()
    assert out.startswith(b"HTTP/1.1 201 Created\r\n") and b"x-kind: plain\r\n" in out


def test_content_length_mismatch_is_a_handler_error(makeMemory: Any) -> None:
    """A content-length that disagrees with a bytes body is refused with 500."""

    async def wrong(request: Any) -> Response:
        return Response(200, ((b"content-length", b"99"),), b"short")

    memory = makeMemory(wrong)
    memory.send(GET)
    assert memory.take().startswith(b"HTTP/1.1 500 ")


def test_given_content_length_frames_a_stream(makeMemory: Any) -> None:
    """A streamed body with its own content-length is sent unchunked."""

    async def parts() -> Any:
        yield b"abc"
        yield b"de"

    async def sized(request: Any) -> Response:
        return Response(200, ((b"Content-Length", b"5"),), parts())

    memory = makeMemory(sized)
    memory.send(GET + GET)
    out = memory.take()
    assert b"chunked" not in out and out.count(b"content-length: 5\r\n\r\nabcde") == 2


def test_cached_head_tracks_connection_close(memory: Memory) -> None:
    """The same response on a kept-alive and on a closing request differs
    only by its connection line."""
    memory.send(GET + b"GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n")
    first, second = memory.take().split(b"HTTP/1.1 200 OK")[1:]
    assert b"connection" not in first
    assert b"connection: close\r\n" in second and second.endswith(b"Hello, world!")
    assert memory.transport.disconnecting


def test_nothing_after_a_closing_request_is_answered(memory: Memory) -> None:
    """Requests pipelined after an HTTP/1.0 request without keep-alive are
    not read: one answer, then the connection closes."""
    memory.send(b"GET /hello HTTP/1.0\r\n\r\n" + GET)
    out = memory.take()
    assert out.count(b"HTTP/1.1 200 OK") == 1 and b"connection: close" in out
    assert memory.transport.disconnecting


def test_upgrade_request_is_answered_plainly_then_closed(memory: Memory) -> None:
    """A request asking for a protocol switch gets a plain answer, and the
    connection closes (the server switches to nothing)."""
    memory.send(
        b"GET /hello HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"
        b"\x81\x05hello"
    )
    out = memory.take()
    assert out.startswith(b"HTTP/1.1 200 OK") and out.endswith(b"Hello, world!")
    assert b"connection: close" in out and memory.transport.disconnecting


def test_headers_just_under_limit_are_accepted(memory: Memory) -> None:
    """60 KiB of headers, sent in pieces, are within the limit and served."""
    memory.send(b"GET /hello HTTP/1.1\r\n")
    for i in range(60):
        memory.send(b"X-%d: %s\r\n" % (i, b"v" * 1000))
    memory.send(b"\r\n")
    assert memory.take().startswith(b"HTTP/1.1 200 OK")
