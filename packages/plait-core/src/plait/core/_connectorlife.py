"""How a connector lives: its states, the events that move it, and the one
function that applies an event (an impossible one raises)."""

from __future__ import annotations

import enum

__all__ = ["ConnectorEvent", "ConnectorState", "applyConnectorEvent"]


class ConnectorState(enum.Enum):
    """Where a connector stands."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"


class ConnectorEvent(enum.Enum):
    """What can happen to a connector."""

    CONNECT = "start connecting"
    CONNECTED = "be connected"
    FAILED = "fail"
    LOST = "lose its connection"


_NEXT: dict[tuple[ConnectorState, ConnectorEvent], ConnectorState] = {
    (ConnectorState.DISCONNECTED, ConnectorEvent.CONNECT): ConnectorState.CONNECTING,
    (ConnectorState.CONNECTING, ConnectorEvent.CONNECTED): ConnectorState.CONNECTED,
    (ConnectorState.CONNECTING, ConnectorEvent.FAILED): ConnectorState.DISCONNECTED,
    (ConnectorState.CONNECTED, ConnectorEvent.LOST): ConnectorState.DISCONNECTED,
}


def applyConnectorEvent(state: ConnectorState, event: ConnectorEvent) -> ConnectorState:
    """The state a connector in ``state`` goes to on ``event``.

    :raises RuntimeError: the event cannot happen in that state.
    """
    try:
        return _NEXT[state, event]
    except KeyError:
        raise RuntimeError(
            f"a connector that is {state.value} cannot {event.value}"
        ) from None
