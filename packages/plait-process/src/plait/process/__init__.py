"""Child processes for the plait reactor: pipes, pseudo-terminals, endpoints.

Installing plait-process gives every ``plait.core.Reactor``
``spawnProcess`` (IReactorProcess) through the reactor extension
``ProcessExtension``.  Subclass :class:`ProcessProtocol` to hear a child's
output and exit; the :class:`Process` transport writes to its input,
closes pipes and sends signals.
"""

from ._endpoint import ProcessEndpoint as ProcessEndpoint
from ._endpoint import StandardErrorBehavior as StandardErrorBehavior
from ._extension import ProcessExtension as ProcessExtension
from ._process import Process as Process
from ._process import ProcessAddress as ProcessAddress
from ._process import ProcessState as ProcessState
from ._protocol import ProcessProtocol as ProcessProtocol

__all__ = [
    "Process",
    "ProcessAddress",
    "ProcessEndpoint",
    "ProcessExtension",
    "ProcessProtocol",
    "ProcessState",
    "StandardErrorBehavior",
]
