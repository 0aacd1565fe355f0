"""DNS: a tiny zone served in-process on loopback, asked over UDP (and TCP
for an answer too large for a datagram), then used to connect by name."""

from __future__ import annotations

from typing import Any

from plait.dns import EDNS_PAYLOAD, ZoneServer, createResolver

from . import DemoSettings

_ZONE = """\
$TTL 300
@       SOA  ns.demo.test. admin.demo.test. 1 3600 600 86400 60
@       NS   ns.demo.test.
ns      A    127.0.0.1
www     A    127.0.0.1
www     AAAA ::1
@       MX   10 www.demo.test.
big     TXT  {chunks}
"""

#: TXT strings for one answer larger than a UDP reply may be (1232 bytes).
_CHUNKS = " ".join(f'"{"plait-demo-" * 20}{i:02d}"' for i in range(12))


def _only(answers: Any) -> list[str]:
    return [rdata.to_text() for rrset in answers for rdata in rrset]


async def run(reactor: Any, settings: DemoSettings) -> str:
    """Ask the in-process zone for A, AAAA, MX and a TC-forcing TXT record."""
    server = ZoneServer(_ZONE.format(chunks=_CHUNKS), origin="demo.test.")
    port = server.listen(reactor)
    try:
        resolver = createResolver(
            reactor, servers=[("127.0.0.1", port)], resolvconf=None, hosts=None
        )
        a, _, _ = await resolver.lookupAddress("www.demo.test", timeout=(2, 4))
        aaaa, _, _ = await resolver.lookupIPV6Address("www.demo.test", timeout=(2, 4))
        mx, _, _ = await resolver.lookupMailExchange("demo.test", timeout=(2, 4))
        txt, _, _ = await resolver.lookupText("big.demo.test", timeout=(2, 4))
        chosen = await resolver.getHostByName("www.demo.test", timeout=(2, 4))
    finally:
        server.stopListening()
    size = sum(len(s) for rrset in txt for rdata in rrset for s in rdata.strings)
    return (
        f"zone demo.test on 127.0.0.1:{port}: www is {', '.join(_only(a))} and"
        f" {', '.join(_only(aaaa))}, mail via {_only(mx)[0]},"
        f" a {size:,}-byte TXT (too big for one {EDNS_PAYLOAD:,}-byte UDP answer)"
        " came whole;"
        f" getHostByName chose {chosen}"
    )
