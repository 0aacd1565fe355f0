"""The public face of plait_http."""

from __future__ import annotations

import plait_http


def test_every_export_is_public_and_present() -> None:
    """__all__ names exactly the public names the package defines."""
    public = {n for n in vars(plait_http) if not n.startswith("_")}
    assert set(plait_http.__all__) == public
    for name in plait_http.__all__:
        assert getattr(plait_http, name) is not None


def test_only_declared_distributions_are_imported() -> None:
    """Importing plait_http loads plait.core and no undeclared plait part."""
    import sys

    assert "plait.core" in sys.modules
    assert not any(
        m.startswith(("plait.udp", "plait.dns", "plait.unix")) for m in sys.modules
    )
