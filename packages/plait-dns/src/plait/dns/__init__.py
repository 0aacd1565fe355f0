"""DNS for plait: a resolver on plait's own UDP and TCP, on dnspython.

:func:`createResolver` builds a :class:`Resolver` (``IResolver`` and
``IResolverSimple``) from resolv.conf and the hosts file, or for servers
you name::

    resolver = createResolver(reactor, servers=[("127.0.0.1", 5353)])
    answers, authority, additional = await resolver.lookupAddress("example.com")
    reactor.installResolver(resolver)   # connectTCP("example.com", ...) uses it

Records are dnspython objects; A6, MB, MG, MR, MINFO and NULL get classes
of their own (:mod:`plait.dns` registers them with dnspython on import).
:class:`ZoneServer` answers a small zone from memory, for tests and demos.
"""

from ._create import createResolver as createResolver
from ._engine import EDNS_PAYLOAD as EDNS_PAYLOAD
from ._engine import QueryEngine as QueryEngine
from ._hosts import Hosts as Hosts
from ._names import InvalidQueryError as InvalidQueryError
from ._query import Query as Query
from ._records import A6 as A6
from ._records import MB as MB
from ._records import MG as MG
from ._records import MINFO as MINFO
from ._records import MR as MR
from ._records import NULL as NULL
from ._records import registerRecordTypes as registerRecordTypes
from ._resolver import Resolver as Resolver
from ._server import ZoneServer as ZoneServer

registerRecordTypes()

__all__ = [
    "A6",
    "EDNS_PAYLOAD",
    "MB",
    "MG",
    "MINFO",
    "MR",
    "NULL",
    "Hosts",
    "InvalidQueryError",
    "Query",
    "QueryEngine",
    "Resolver",
    "ZoneServer",
    "createResolver",
    "registerRecordTypes",
]
