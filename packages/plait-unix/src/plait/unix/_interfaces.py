"""What UNIX sockets add to the contract's interfaces: descriptor passing."""

from __future__ import annotations

from zope.interface import Interface

from plait.interfaces import ITransport

__all__ = ["IFileDescriptorReceiver", "IUNIXTransport"]


class IUNIXTransport(ITransport):
    """A stream transport over a UNIX socket, which can pass descriptors."""

    def sendFileDescriptor(fd: int) -> None:
        """Send a duplicate of ``fd`` with the next byte written after this
        call; the peer's protocol hears it just before those bytes if it
        provides :class:`IFileDescriptorReceiver`."""

    def getPeerCredentials() -> object:
        """The peer process's ``(pid, uid, gid)``."""


class IFileDescriptorReceiver(Interface):
    """A protocol that takes the descriptors its peer sends.

    Without it, descriptors sent to the protocol are closed by the kernel
    on arrival.
    """

    def fileDescriptorReceived(descriptor: int) -> None:
        """``descriptor`` arrived, ahead of the bytes it travelled with; it
        is the protocol's now, to use and to close."""
