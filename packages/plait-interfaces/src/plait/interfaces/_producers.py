"""Interfaces of the producer/consumer flow-control pair.

A consumer (usually a transport) accepts bytes; a producer feeds it.  Push
producers write whenever they like and are paused by the consumer when its
buffer is over a high-water mark; pull producers write only when asked.
"""

from __future__ import annotations

from zope.interface import Interface


class IProducer(Interface):
    """Something that writes data into an :class:`IConsumer`."""

    __module__ = "plait.interfaces"

    def stopProducing() -> None:
        """Stop for good: the consumer is gone and will accept nothing more.

        After this call the producer must not write again and should
        release whatever it holds (files, timers, upstream connections).
        """


class IPushProducer(IProducer):
    """A producer that writes on its own schedule until it is paused.

    Its consumer calls :meth:`pauseProducing` when it has too much buffered
    and :meth:`resumeProducing` when it has drained; plait's transports do
    so only when a water mark is crossed.  A producer that cannot pause may
    implement both as no-ops.
    """

    __module__ = "plait.interfaces"

    def pauseProducing() -> None:
        """Hold further writes until :meth:`resumeProducing` is called."""

    def resumeProducing() -> None:
        """Start writing again after a :meth:`pauseProducing`."""


class IPullProducer(IProducer):
    """A producer that writes one chunk each time it is asked."""

    __module__ = "plait.interfaces"

    def resumeProducing() -> None:
        """Write one chunk now, usually by one call to the consumer's ``write``.

        The consumer calls this again each time it wants more; the producer
        must not keep writing between requests.
        """


class IConsumer(Interface):
    """Something that accepts bytes from a producer."""

    __module__ = "plait.interfaces"

    def registerProducer(producer: IProducer, streaming: bool) -> None:
        """Attach *producer* as the source of this consumer's data.

        For a push producer the consumer calls ``pauseProducing`` while its
        buffer is too full and ``resumeProducing`` once it has drained.  For
        a pull producer it calls ``resumeProducing`` each time it can take
        another chunk, starting right away.

        :param producer: the producer to attach.
        :param streaming: ``True`` when *producer* is an
            :class:`IPushProducer`, ``False`` for an :class:`IPullProducer`.
        :raises RuntimeError: when another producer is still registered.
        """

    def unregisterProducer() -> None:
        """Detach the current producer; the connection itself stays open."""

    def write(data: bytes) -> None:
        """Accept *data* from the producer without ever blocking.

        The consumer buffers whatever it cannot pass on at once.  When the
        buffer grows too large it may ask a push producer to pause.

        :param data: the bytes to consume.
        """


class IFinishableConsumer(IConsumer):
    """A consumer that can be told its producer has nothing more to send."""

    __module__ = "plait.interfaces"

    def finish() -> None:
        """Record that the producer is done; no more writes will follow."""
