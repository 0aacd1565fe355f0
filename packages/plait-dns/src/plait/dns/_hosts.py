"""The hosts file: names a machine answers without asking a server.

Each line is an address followed by names, ``#`` starting a comment.
Names compare without case and without a trailing dot. Lines whose address
is not an IP literal are skipped. The file is read when the resolver is
made (it is small and local); :meth:`Hosts.reload` reads it again.
"""

from __future__ import annotations

import ipaddress
import logging

__all__ = ["Hosts"]

log = logging.getLogger("plait.dns")


def _key(name: str) -> str:
    return name.rstrip(".").lower()


class Hosts:
    """The addresses the hosts file at *path* gives each name."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._v4: dict[str, list[str]] = {}
        self._v6: dict[str, list[str]] = {}
        self.reload()

    def reload(self) -> None:
        """Read the file again; a missing or unreadable file lists nothing."""
        self._v4 = {}
        self._v6 = {}
        if self.path is None:
            return
        try:
            with open(self.path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError as e:
            log.debug("hosts file %s not read: %s", self.path, e)
            return
        self.parse(text)

    def parse(self, text: str) -> None:
        """Add the entries of hosts-file *text*."""
        for line in text.splitlines():
            fields = line.split("#", 1)[0].split()
            if len(fields) < 2:
                continue
            try:
                address = ipaddress.ip_address(fields[0].split("%", 1)[0])
            except ValueError:
                continue
            table = self._v4 if address.version == 4 else self._v6
            for name in fields[1:]:
                known = table.setdefault(_key(name), [])
                if str(address) not in known:
                    known.append(str(address))

    def ipv4(self, name: str) -> list[str]:
        """The IPv4 addresses listed for *name*."""
        return list(self._v4.get(_key(name), ()))

    def ipv6(self, name: str) -> list[str]:
        """The IPv6 addresses listed for *name*."""
        return list(self._v6.get(_key(name), ()))

    def __bool__(self) -> bool:
        return bool(self._v4 or self._v6)

    def __contains__(self, name: str) -> bool:
        key = _key(name)
        return key in self._v4 or key in self._v6
