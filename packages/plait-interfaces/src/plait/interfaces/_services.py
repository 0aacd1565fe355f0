"""The interface of a container of named services."""

from __future__ import annotations

from typing import Any

from zope.interface import Interface


class IServiceCollection(Interface):
    """Holds services and finds them by name."""

    __module__ = "plait.interfaces"

    def getServiceNamed(serviceName: str) -> Any:
        """Find the service registered under *serviceName*.

        :param serviceName: the name to look for.
        :returns: the service.
        :raises KeyError: when no service has that name.
        """

    def addService(service: Any) -> None:
        """Put *service* into the collection.

        :param service: the service to add.
        """

    def removeService(service: Any) -> Any:
        """Take *service* out of the collection.

        :param service: the service to remove.
        :returns: ``None``, or a :class:`plait.core.Deferred` when stopping
            the service takes time.
        """
