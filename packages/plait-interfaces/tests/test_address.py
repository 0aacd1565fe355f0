"""The address value types of plait.address."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

import pytest
from zope.interface.verify import verifyObject

from plait.address import HostnameAddress, IPv4Address, IPv6Address, UNIXAddress
from plait.interfaces import IAddress

SAMPLES: list[Any] = [
    IPv4Address("TCP", "127.0.0.1", 8080),
    IPv6Address("UDP", "::1", 53, flowInfo=1, scopeID=2),
    UNIXAddress("/run/app.sock"),
    UNIXAddress(b"\0abstract"),
    UNIXAddress(None),
    HostnameAddress(b"example.com", 443),
]


@pytest.mark.parametrize("address", SAMPLES, ids=repr)
def test_address_provides_iaddress(address: object) -> None:
    """Every address class implements IAddress and its instances provide it."""
    assert IAddress.implementedBy(type(address))
    assert IAddress.providedBy(address)
    assert verifyObject(IAddress, address)


@pytest.mark.parametrize("address", SAMPLES, ids=repr)
def test_address_is_immutable(address: Any) -> None:
    """Fields cannot be reassigned and no new attributes can be added."""
    first_field = dataclasses.fields(address)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(address, first_field, "changed")
    with pytest.raises((AttributeError, TypeError)):
        address.extra = 1


@pytest.mark.parametrize("address", SAMPLES, ids=repr)
def test_address_equal_copy_has_equal_hash(address: Any) -> None:
    """A field-by-field copy is equal, hashes alike and survives pickling."""
    copy = dataclasses.replace(address)
    assert copy == address
    assert hash(copy) == hash(address)
    assert pickle.loads(pickle.dumps(address)) == address  # noqa: S301 - own data
    assert len({address, copy}) == 1


@pytest.mark.parametrize("address", SAMPLES, ids=repr)
def test_address_repr_is_constructor_like(address: Any) -> None:
    """repr() shows the class name and the field values."""
    text = repr(address)
    assert text.startswith(type(address).__name__ + "(")
    for f in dataclasses.fields(address):
        assert f"{f.name}=" in text


def test_address_classes_are_slotted() -> None:
    """Address instances carry no per-instance __dict__."""
    for address in SAMPLES:
        assert not hasattr(address, "__dict__")


def test_ipv4_equality_is_by_value() -> None:
    """IPv4 addresses are equal exactly when type, host and port all match."""
    base = IPv4Address("TCP", "10.0.0.1", 80)
    assert base == IPv4Address("TCP", "10.0.0.1", 80)
    assert base != IPv4Address("UDP", "10.0.0.1", 80)
    assert base != IPv4Address("TCP", "10.0.0.2", 80)
    assert base != IPv4Address("TCP", "10.0.0.1", 81)
    assert {base: "x"}[IPv4Address("TCP", "10.0.0.1", 80)] == "x"


def test_ipv4_and_ipv6_never_equal() -> None:
    """Addresses of different classes differ even with the same field values."""
    v4: object = IPv4Address("TCP", "::1", 1)
    assert v4 != IPv6Address("TCP", "::1", 1)


def test_ipv6_defaults_and_fields() -> None:
    """flowInfo and scopeID default to 0 and take part in equality."""
    address = IPv6Address("TCP", "fe80::1", 22)
    assert (address.flowInfo, address.scopeID) == (0, 0)
    assert address != IPv6Address("TCP", "fe80::1", 22, scopeID=3)
    assert repr(address) == (
        "IPv6Address(type='TCP', host='fe80::1', port=22, flowInfo=0, scopeID=0)"
    )


@pytest.mark.parametrize("cls", [IPv4Address, IPv6Address])
def test_ip_address_rejects_unknown_type(cls: Any) -> None:
    """The transport type must be 'TCP' or 'UDP'."""
    with pytest.raises(ValueError, match="TCP"):
        cls("SCTP", "127.0.0.1", 1)
    with pytest.raises(ValueError):
        cls("tcp", "127.0.0.1", 1)


@pytest.mark.parametrize("cls", [IPv4Address, IPv6Address])
def test_ip_address_rejects_bad_port(cls: Any) -> None:
    """Ports must be ints between 0 and 65535; bools and strings are refused."""
    with pytest.raises(ValueError):
        cls("TCP", "127.0.0.1", 65536)
    with pytest.raises(ValueError):
        cls("TCP", "127.0.0.1", -1)
    with pytest.raises(TypeError):
        cls("TCP", "127.0.0.1", "80")
    with pytest.raises(TypeError):
        cls("TCP", "127.0.0.1", True)
    assert cls("TCP", "127.0.0.1", 0).port == 0
    assert cls("TCP", "127.0.0.1", 65535).port == 65535


@pytest.mark.parametrize("cls", [IPv4Address, IPv6Address])
def test_ip_address_rejects_non_str_host(cls: Any) -> None:
    """The host must be given as text."""
    with pytest.raises(TypeError):
        cls("TCP", b"127.0.0.1", 80)


def test_ipv6_rejects_out_of_range_scope() -> None:
    """flowInfo and scopeID must fit in 32 bits."""
    with pytest.raises(ValueError):
        IPv6Address("TCP", "::1", 1, scopeID=-1)
    with pytest.raises(ValueError):
        IPv6Address("TCP", "::1", 1, flowInfo=2**32)


def test_unix_address_equality_across_spellings() -> None:
    """str and bytes spellings of one path are equal and hash alike."""
    text = UNIXAddress("/tmp/plait.sock")
    raw = UNIXAddress(b"/tmp/plait.sock")
    assert text == raw
    assert hash(text) == hash(raw)
    assert text.name == "/tmp/plait.sock"
    assert raw.name == b"/tmp/plait.sock"
    assert text != UNIXAddress("/tmp/other.sock")


def test_unix_address_abstract_and_unnamed() -> None:
    """Abstract names are kept verbatim and unnamed sockets equal each other."""
    abstract = UNIXAddress("\0plait")
    assert abstract == UNIXAddress(b"\0plait")
    assert abstract != UNIXAddress("plait")
    assert UNIXAddress(None) == UNIXAddress(None)
    assert UNIXAddress(None) != UNIXAddress("")


def test_unix_address_is_value_based_only() -> None:
    """No path resolution happens: a relative spelling differs from an absolute one."""
    assert UNIXAddress("./s") != UNIXAddress("s")


def test_unix_address_rejects_other_types() -> None:
    """A name that is not bytes, str or None is refused."""
    with pytest.raises(TypeError):
        UNIXAddress(42)  # type: ignore[arg-type]  # wrong type on purpose


def test_unix_address_not_equal_to_other_kinds() -> None:
    """A UNIX address never equals an address of another class."""
    assert UNIXAddress("/x") != HostnameAddress(b"/x", 0)
    assert UNIXAddress("/x") != "/x"


def test_hostname_address_fields_and_validation() -> None:
    """HostnameAddress keeps bytes and a port, and refuses other host types."""
    address = HostnameAddress(b"example.com", 80)
    assert (address.hostname, address.port) == (b"example.com", 80)
    assert address == HostnameAddress(b"example.com", 80)
    assert address != HostnameAddress(b"example.org", 80)
    with pytest.raises(TypeError, match="hostname must be str or bytes"):
        HostnameAddress(42, 80)  # type: ignore[arg-type]  # on purpose
    with pytest.raises(ValueError):
        HostnameAddress(b"example.com", 70000)


def test_hostname_address_accepts_str() -> None:
    """A str host name is stored as bytes and equals the bytes spelling."""
    address = HostnameAddress("example.test", 443)
    assert address.hostname == b"example.test"
    assert address == HostnameAddress(b"example.test", 443)
    assert hash(address) == hash(HostnameAddress(b"example.test", 443))


def test_hostname_address_idna_encodes_non_ascii_str() -> None:
    """A non-ASCII str host name is stored in its IDNA (punycode) form."""
    address = HostnameAddress("bücher.example", 80)
    assert address.hostname == b"xn--bcher-kva.example"


def test_hostname_address_refuses_unencodable_str() -> None:
    """A str that IDNA cannot encode (an empty label) raises ValueError."""
    with pytest.raises(ValueError, match="cannot be IDNA-encoded"):
        HostnameAddress("bücher..example", 80)


def test_addresses_support_pattern_matching() -> None:
    """Dataclass match arguments let callers destructure addresses."""
    match IPv4Address("UDP", "192.0.2.1", 53):
        case IPv4Address("UDP", host, port):
            assert (host, port) == ("192.0.2.1", 53)
        case _:
            pytest.fail("IPv4Address did not match its own pattern")
