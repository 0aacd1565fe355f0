"""plait-http: an HTTP/1.1 server on plait-core, plait-tcp and httptools.

The async API::

    async def hello(request):
        return Response(200, ((b"content-type", b"text/plain"),), b"Hello, world!")

    serve(reactor, "tcp:8080", hello)

The Protocol-level API: an object with ``requestReceived(exchange)`` that
answers through the :class:`Exchange` (``respond``, or ``writeHead``,
``write`` and ``finish``).
"""

from ._async import AsyncHandler as AsyncHandler
from ._async import Handler as Handler
from ._channel import HTTPChannel as HTTPChannel
from ._exchange import BODY_HIGH_WATER as BODY_HIGH_WATER
from ._exchange import BodyReceiver as BodyReceiver
from ._exchange import Exchange as Exchange
from ._exchange import ExchangeState as ExchangeState
from ._request import IncompleteBody as IncompleteBody
from ._request import Request as Request
from ._request import RequestBody as RequestBody
from ._response import Response as Response
from ._server import Clock as Clock
from ._server import HTTPFactory as HTTPFactory
from ._server import RequestHandler as RequestHandler
from ._server import Server as Server
from ._server import serve as serve

__all__ = [
    "BODY_HIGH_WATER",
    "AsyncHandler",
    "BodyReceiver",
    "Clock",
    "Exchange",
    "ExchangeState",
    "HTTPChannel",
    "HTTPFactory",
    "Handler",
    "IncompleteBody",
    "Request",
    "RequestBody",
    "RequestHandler",
    "Response",
    "Server",
    "serve",
]
