"""Sphinx autodoc for zope.interface declarations.

autodoc sees an interface as an instance of ``InterfaceClass``, not as a
class, so it would skip it or show it as a module attribute.  This
documenter shows each interface as a class: its docstring, the
interfaces it extends, and every attribute and method it declares with the
method's signature (zope records signatures without ``self``).
"""

from __future__ import annotations

import re
from typing import Any

from sphinx.application import Sphinx
from sphinx.ext.autodoc import ClassDocumenter
from zope.interface.interface import Attribute, InterfaceClass, Method


class InterfaceDocumenter(ClassDocumenter):
    """Documents a ``zope.interface`` interface as a class."""

    objtype = "interface"
    directivetype = "class"
    priority = ClassDocumenter.priority + 10

    @classmethod
    def can_document_member(
        cls, member: Any, membername: str, isattr: bool, parent: Any
    ) -> bool:
        return isinstance(member, InterfaceClass)

    def format_signature(self, **kwargs: Any) -> str:
        return ""  # an interface is not called

    def add_directive_header(self, sig: str) -> None:
        super().add_directive_header(sig)

    def add_content(self, more_content: Any) -> None:
        source = self.get_sourcename()
        bases = [b for b in self.object.__bases__ if b.__name__ != "Interface"]
        if bases:
            names = ", ".join(f"``{b.__module__}.{b.__name__}``" for b in bases)
            self.add_line(f"*Extends* {names}", source)
            self.add_line("", source)
        for line in (self.object.__doc__ or "").expandtabs().splitlines():
            self.add_line(line, source)
        self.add_line("", source)

    def document_members(self, all_members: bool = False) -> None:
        source = self.get_sourcename()
        for name, description in self.object.namesAndDescriptions(all=False):
            if isinstance(description, Method):
                signature = description.getSignatureString()
                self.add_line(f".. method:: {name}{signature}", source)
            elif isinstance(description, Attribute):
                self.add_line(f".. attribute:: {name}", source)
            else:
                continue
            self.add_line("", source)
            doc = description.getDoc() or ""
            for line in _dedent(doc):
                self.add_line(f"   {line}", source)
            self.add_line("", source)


_INTERFACE_REPR = re.compile(r"<InterfaceClass ([\w.]+)>")


def _plainInterfaceNames(
    app: Sphinx,
    what: str,
    name: str,
    obj: Any,
    options: Any,
    signature: str | None,
    returnAnnotation: str | None,
) -> tuple[str | None, str | None]:
    """Annotations that name an interface show its dotted name, not its repr."""

    def fix(text: str | None) -> str | None:
        return None if text is None else _INTERFACE_REPR.sub(r"\1", text)

    return fix(signature), fix(returnAnnotation)


def _resolveBySuffix(app: Sphinx, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve a short Python reference (``errback``, ``IResolverSimple.x``)
    that names exactly one documented object by the end of its dotted name."""
    if node.get("refdomain") != "py":
        return None
    target = _INTERFACE_REPR.sub(r"\1", node["reftarget"]).lstrip(".~")
    domain = env.get_domain("py")
    matches = [
        (name, obj)
        for name, obj in domain.objects.items()
        if (name == target or name.endswith("." + target)) and "._" not in name
    ]
    if len(matches) != 1:
        return None
    name, obj = matches[0]
    from sphinx.util.nodes import make_refnode

    return make_refnode(
        app.builder, node["refdoc"], obj.docname, obj.node_id, contnode, name
    )


def _dedent(doc: str) -> list[str]:
    """A docstring's lines with the common indentation of all but the first
    removed, as Python's own ``inspect.cleandoc`` does."""
    import inspect

    return inspect.cleandoc(doc).splitlines()


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx.ext.autodoc")
    app.add_autodocumenter(InterfaceDocumenter)
    app.connect("autodoc-process-signature", _plainInterfaceNames)
    app.connect("missing-reference", _resolveBySuffix)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
