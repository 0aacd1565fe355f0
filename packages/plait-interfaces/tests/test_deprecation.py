"""The deprecated IReactorArbitrary warns once per process and stays out of the way.

The "once per process" behaviour is checked in fresh interpreters, so the
result does not depend on which tests already touched the name here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings

import pytest

import plait.interfaces


def _run(code: str) -> dict[str, object]:
    """Run *code* in a new interpreter and return the JSON it prints."""
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result: dict[str, object] = json.loads(completed.stdout)
    return result


def test_attribute_access_warns_exactly_once_per_process() -> None:
    """Two reads of plait.interfaces.IReactorArbitrary give one DeprecationWarning."""
    result = _run(
        """
        import json, warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import plait.interfaces
            first = plait.interfaces.IReactorArbitrary
            second = plait.interfaces.IReactorArbitrary
            from plait.interfaces import IReactorArbitrary as third
        print(json.dumps({
            "categories": [w.category.__name__ for w in caught],
            "messages": [str(w.message) for w in caught],
            "filenames": [w.filename for w in caught],
            "same": first is second is third is plait.interfaces._IReactorArbitrary,
        }))
        """
    )
    assert result["categories"] == ["DeprecationWarning"]
    assert "IReactorFDSet" in str(result["messages"])
    assert result["filenames"] == ["<string>"]
    assert result["same"] is True


def test_from_import_warns_once_and_points_at_caller() -> None:
    """``from plait.interfaces import IReactorArbitrary`` warns once, at the import."""
    result = _run(
        """
        import json, warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from plait.interfaces import IReactorArbitrary
        print(json.dumps({
            "count": len(caught),
            "filename": caught[0].filename if caught else None,
        }))
        """
    )
    assert result == {"count": 1, "filename": "<string>"}


def test_star_import_does_not_warn_or_export_it() -> None:
    """``from plait.interfaces import *`` neither warns nor binds IReactorArbitrary."""
    result = _run(
        """
        import json, warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            namespace = {}
            exec("from plait.interfaces import *", namespace)
        print(json.dumps({
            "count": len(caught),
            "bound": "IReactorArbitrary" in namespace,
            "has_tcp": "IReactorTCP" in namespace,
        }))
        """
    )
    assert result == {"count": 0, "bound": False, "has_tcp": True}


def test_private_alias_never_warns() -> None:
    """plait's internal alias _IReactorArbitrary is importable with no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from plait.interfaces import _IReactorArbitrary

    assert _IReactorArbitrary.__name__ == "IReactorArbitrary"
    assert "IReactorArbitrary" not in plait.interfaces.__all__


def test_unknown_attribute_still_raises() -> None:
    """The module hook only serves the deprecated name; others are AttributeErrors."""
    with pytest.raises(AttributeError, match="IReactorNothing"):
        plait.interfaces.IReactorNothing  # type: ignore[attr-defined]  # noqa: B018 - absent on purpose
