"""Whether the optional TLS stack (the ``tls`` extra) can be imported.

The answer is computed once and cached; tests that simulate a missing
extra pass ``tls=False`` to the extension or monkeypatch ``tlsAvailable``.
"""

from __future__ import annotations

import functools
import importlib

__all__ = ["TLS_EXTRA", "tlsAvailable"]

TLS_EXTRA = "plait-tcp[tls]"


@functools.cache
def _probe() -> bool:
    try:
        importlib.import_module("OpenSSL.SSL")
        importlib.import_module("service_identity")
        importlib.import_module("idna")
    except ImportError:
        return False
    return True


def tlsAvailable() -> bool:
    """True when pyOpenSSL, service-identity and idna all import."""
    return _probe()
