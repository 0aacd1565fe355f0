"""Every interface of the plait contract, as zope.interface declarations.

Implementations live in the other distributions (plait-core, plait-tcp,
...); this package only says what their objects promise.  Method
declarations follow zope's convention and omit ``self``.  Where a
declaration mentions a type that lives in a higher layer (a
``plait.core.Deferred`` or ``Failure``, a TLS options object) the
annotation is ``Any`` and the docstring names the real type: this package
imports nothing from the rest of plait.

``IReactorArbitrary`` is deprecated by the contract itself.  It is kept out
of ``__all__``, so ``from plait.interfaces import *`` neither exports it nor
warns; reading ``plait.interfaces.IReactorArbitrary`` (or importing the name
explicitly) emits one :class:`DeprecationWarning` per process.  Leaving it
out of ``__all__`` was preferred over warning on every star import, which
would punish code that never uses it.  plait's own code reaches the same
object through the private ``_IReactorArbitrary`` alias, which never warns
and is not part of the public API.
"""

from __future__ import annotations

import threading
import warnings
from typing import TYPE_CHECKING

from ._address import IAddress as IAddress
from ._datagram import IMulticastTransport as IMulticastTransport
from ._datagram import IUDPTransport as IUDPTransport
from ._datagram import (
    IUNIXDatagramConnectedTransport as IUNIXDatagramConnectedTransport,
)
from ._datagram import IUNIXDatagramTransport as IUNIXDatagramTransport
from ._deprecated import _IReactorArbitrary as _IReactorArbitrary
from ._descriptors import IFileDescriptor as IFileDescriptor
from ._descriptors import IHalfCloseableDescriptor as IHalfCloseableDescriptor
from ._descriptors import ILoggingContext as ILoggingContext
from ._descriptors import IReadDescriptor as IReadDescriptor
from ._descriptors import IReadWriteDescriptor as IReadWriteDescriptor
from ._descriptors import ISystemHandle as ISystemHandle
from ._descriptors import IWriteDescriptor as IWriteDescriptor
from ._endpoints import IStreamClientEndpoint as IStreamClientEndpoint
from ._endpoints import (
    IStreamClientEndpointStringParser as IStreamClientEndpointStringParser,
)
from ._endpoints import IStreamServerEndpoint as IStreamServerEndpoint
from ._endpoints import (
    IStreamServerEndpointStringParser as IStreamServerEndpointStringParser,
)
from ._ports import IConnector as IConnector
from ._ports import IListeningPort as IListeningPort
from ._producers import IConsumer as IConsumer
from ._producers import IFinishableConsumer as IFinishableConsumer
from ._producers import IProducer as IProducer
from ._producers import IPullProducer as IPullProducer
from ._producers import IPushProducer as IPushProducer
from ._protocols import IHalfCloseableProtocol as IHalfCloseableProtocol
from ._protocols import IProcessProtocol as IProcessProtocol
from ._protocols import IProtocol as IProtocol
from ._protocols import IProtocolFactory as IProtocolFactory
from ._reactor_core import IDelayedCall as IDelayedCall
from ._reactor_core import IReactorCore as IReactorCore
from ._reactor_core import IReactorFDSet as IReactorFDSet
from ._reactor_core import IReactorPluggableResolver as IReactorPluggableResolver
from ._reactor_core import IReactorThreads as IReactorThreads
from ._reactor_core import IReactorTime as IReactorTime
from ._reactor_datagram import IReactorMulticast as IReactorMulticast
from ._reactor_datagram import IReactorUDP as IReactorUDP
from ._reactor_datagram import IReactorUNIXDatagram as IReactorUNIXDatagram
from ._reactor_os import IReactorProcess as IReactorProcess
from ._reactor_os import IReactorWin32Events as IReactorWin32Events
from ._reactor_stream import IReactorSSL as IReactorSSL
from ._reactor_stream import IReactorTCP as IReactorTCP
from ._reactor_stream import IReactorUNIX as IReactorUNIX
from ._resolver import IResolver as IResolver
from ._resolver import IResolverSimple as IResolverSimple
from ._services import IServiceCollection as IServiceCollection
from ._transports import IProcessTransport as IProcessTransport
from ._transports import ISSLTransport as ISSLTransport
from ._transports import ITCPTransport as ITCPTransport
from ._transports import ITLSTransport as ITLSTransport
from ._transports import ITransport as ITransport

__all__ = [
    "IAddress",
    "IConnector",
    "IConsumer",
    "IDelayedCall",
    "IFileDescriptor",
    "IFinishableConsumer",
    "IHalfCloseableDescriptor",
    "IHalfCloseableProtocol",
    "IListeningPort",
    "ILoggingContext",
    "IMulticastTransport",
    "IProcessProtocol",
    "IProcessTransport",
    "IProducer",
    "IProtocol",
    "IProtocolFactory",
    "IPullProducer",
    "IPushProducer",
    "IReactorCore",
    "IReactorFDSet",
    "IReactorMulticast",
    "IReactorPluggableResolver",
    "IReactorProcess",
    "IReactorSSL",
    "IReactorTCP",
    "IReactorThreads",
    "IReactorTime",
    "IReactorUDP",
    "IReactorUNIX",
    "IReactorUNIXDatagram",
    "IReactorWin32Events",
    "IReadDescriptor",
    "IReadWriteDescriptor",
    "IResolver",
    "IResolverSimple",
    "ISSLTransport",
    "IServiceCollection",
    "IStreamClientEndpoint",
    "IStreamClientEndpointStringParser",
    "IStreamServerEndpoint",
    "IStreamServerEndpointStringParser",
    "ISystemHandle",
    "ITCPTransport",
    "ITLSTransport",
    "ITransport",
    "IUDPTransport",
    "IUNIXDatagramConnectedTransport",
    "IUNIXDatagramTransport",
    "IWriteDescriptor",
]

if TYPE_CHECKING:
    # Type checkers see the deprecated name as a plain alias; the runtime
    # path below is what warns.
    IReactorArbitrary = _IReactorArbitrary
else:
    _deprecation_lock = threading.Lock()

    def __getattr__(name: str) -> object:
        """Serve the deprecated ``IReactorArbitrary`` name, warning once."""
        if name != "IReactorArbitrary":
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        with _deprecation_lock:
            # Caching the name in the module namespace means later lookups no
            # longer reach this hook, so the warning fires once per process.
            if "IReactorArbitrary" not in globals():
                warnings.warn(
                    "plait.interfaces.IReactorArbitrary is deprecated; use "
                    "IReactorFDSet, or build the port or connector and start "
                    "it yourself",
                    DeprecationWarning,
                    stacklevel=2,
                )
                globals()["IReactorArbitrary"] = _IReactorArbitrary
        return _IReactorArbitrary
