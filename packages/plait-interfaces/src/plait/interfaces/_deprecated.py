"""The one interface the contract itself marks as deprecated.

It is defined here, out of the way, and reached by plait code through the
private alias ``plait.interfaces._IReactorArbitrary``; the public name
``plait.interfaces.IReactorArbitrary`` warns on first use (see the package
docstring).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zope.interface import Interface

from ._ports import IConnector, IListeningPort


class IReactorArbitrary(Interface):
    """Deprecated: starting ports and connectors of any type.

    Everything it offers is better done with :class:`IReactorFDSet` (or by
    building the port yourself and calling its ``startListening``).
    """

    __module__ = "plait.interfaces"

    def listenWith(
        portType: Callable[..., Any], *args: Any, **kw: Any
    ) -> IListeningPort:
        """Build ``portType(*args, **kw)`` and start it listening.

        :param portType: a class whose instances provide
            :class:`IListeningPort`.
        :returns: the new port, listening.
        """

    def connectWith(
        connectorType: Callable[..., Any], *args: Any, **kw: Any
    ) -> IConnector:
        """Build ``connectorType(*args, **kw)`` and start it connecting.

        :param connectorType: a class whose instances provide
            :class:`IConnector`.
        :returns: the new connector.
        """


#: The name plait's own code uses: it never triggers the deprecation warning.
#: Internal to plait; not part of the public API.
_IReactorArbitrary = IReactorArbitrary
