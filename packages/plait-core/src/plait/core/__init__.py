"""plait's reactor, Deferreds, protocols, task helpers and endpoints.

Everything public is re-exported here; the modules behind it are private.
"""

# -- failures and Deferreds
# -- listening ports and connectors shared by the stream families
from ._connecterrors import bindErrorFor as bindErrorFor
from ._connecterrors import connectErrorFor as connectErrorFor
from ._connector import ConnectAttempt as ConnectAttempt
from ._connector import ConnectorState as ConnectorState
from ._connector import StreamConnector as StreamConnector
from ._coroutine import ensureDeferred as ensureDeferred

# -- datagram ports and protocols shared by the datagram families
from ._datagram import DatagramPort as DatagramPort
from ._datagramprotocol import AbstractDatagramProtocol as AbstractDatagramProtocol
from ._datagramprotocol import ConnectedDatagramProtocol as ConnectedDatagramProtocol
from ._datagramprotocol import DatagramProtocol as DatagramProtocol
from ._defer import Deferred as Deferred
from ._defer import fail as fail
from ._defer import maybeDeferred as maybeDeferred
from ._defer import succeed as succeed
from ._deferlist import DeferredList as DeferredList
from ._deferlist import FirstError as FirstError
from ._deferlist import gatherResults as gatherResults

# -- protocols, factories, tasks and endpoints
from ._endpointfactory import EndpointFactory as EndpointFactory
from ._endpointfactory import connectEndpoint as connectEndpoint
from ._endpoints import clientFromString as clientFromString
from ._endpoints import quoteStringArgument as quoteStringArgument
from ._endpoints import serverFromString as serverFromString

# -- the reactor, timers and threads
from ._extensions import describeReactor as describeReactor
from ._failure import Failure as Failure
from ._failure import NoCurrentExceptionError as NoCurrentExceptionError

# -- internet sockets shared by the transport distributions
from ._inet import anyAddress as anyAddress
from ._inet import bindInet as bindInet
from ._inet import familyForInterface as familyForInterface
from ._inet import inetAddress as inetAddress
from ._inet import isIPLiteral as isIPLiteral
from ._inet import sockaddrFor as sockaddrFor
from ._listening import PortState as PortState
from ._listening import StreamPort as StreamPort
from ._poller import Poller as Poller
from ._poller import availablePollers as availablePollers
from ._poller import createPoller as createPoller
from ._producers import ProducerSlot as ProducerSlot
from ._protocol import BaseProtocol as BaseProtocol
from ._protocol import ClientFactory as ClientFactory
from ._protocol import Factory as Factory
from ._protocol import Protocol as Protocol
from ._protocol import ServerFactory as ServerFactory
from ._protocol import connectProtocol as connectProtocol
from ._react import react as react
from ._reactor import Reactor as Reactor
from ._reconnect import ReconnectingClientFactory as ReconnectingClientFactory
from ._resolver import ThreadedResolver as ThreadedResolver

# -- stream transports shared by the transport distributions
from ._stream import StreamState as StreamState
from ._stream import StreamTransport as StreamTransport
from ._streamlife import connectionErrorFor as connectionErrorFor
from ._task import Clock as Clock
from ._task import LoopingCall as LoopingCall
from ._task import deferLater as deferLater
from ._threads import ThreadPool as ThreadPool
from ._threads import deferToThread as deferToThread
from ._timers import DelayedCall as DelayedCall

__all__: list[str] = [
    # -- protocols, factories, tasks and endpoints
    "AbstractDatagramProtocol",
    "BaseProtocol",
    "ClientFactory",
    "Clock",
    "ConnectAttempt",
    "ConnectedDatagramProtocol",
    "ConnectorState",
    # -- failures and Deferreds
    "DatagramPort",
    "DatagramProtocol",
    "Deferred",
    "DeferredList",
    "DelayedCall",
    "EndpointFactory",
    "Factory",
    "Failure",
    "FirstError",
    "LoopingCall",
    "NoCurrentExceptionError",
    "Poller",
    "PortState",
    "ProducerSlot",
    "Protocol",
    "Reactor",
    "ReconnectingClientFactory",
    "ServerFactory",
    "StreamConnector",
    "StreamPort",
    # -- stream transports shared by the transport distributions
    "StreamState",
    "StreamTransport",
    "ThreadPool",
    "ThreadedResolver",
    "anyAddress",
    "availablePollers",
    "bindErrorFor",
    "bindInet",
    "clientFromString",
    "connectEndpoint",
    "connectErrorFor",
    "connectProtocol",
    "connectionErrorFor",
    "createPoller",
    "deferLater",
    "deferToThread",
    "describeReactor",
    "ensureDeferred",
    "fail",
    "familyForInterface",
    "gatherResults",
    "inetAddress",
    "isIPLiteral",
    "maybeDeferred",
    "quoteStringArgument",
    "react",
    "serverFromString",
    "sockaddrFor",
    "succeed",
]
