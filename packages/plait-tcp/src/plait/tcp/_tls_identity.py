"""Reading certificates and private keys in the forms people keep them.

A TLS identity is a certificate chain (leaf first) and the private key of the
leaf. Users hold them as PEM bytes, PEM text, a path to a PEM file, a
combined PEM holding both (curl's ``--cert``, haproxy and many deployment
tools write that form), or objects already loaded by ``cryptography`` or
pyOpenSSL. Every loader here names the parameter it reads for, so a wrong
form is reported as such instead of failing somewhere deep in OpenSSL.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from OpenSSL import SSL, crypto

__all__ = [
    "CertificateSource",
    "IdentitySource",
    "KeySource",
    "TLSPrivateKey",
    "loadCertificates",
    "loadIdentity",
    "loadPrivateKey",
    "useIdentity",
]

_Single = bytes | str | os.PathLike[str] | x509.Certificate | crypto.X509
CertificateSource = _Single | Sequence[_Single]
KeySource = bytes | str | os.PathLike[str] | crypto.PKey | PrivateKeyTypes
#: A combined PEM (bytes, text or a path), or a ``(chain, key)`` pair.
IdentitySource = bytes | str | os.PathLike[str] | tuple[CertificateSource, KeySource]

#: The key types OpenSSL can sign a handshake with.
TLSPrivateKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | dsa.DSAPrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)
_PRIVATE_KEY_TYPES = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    dsa.DSAPrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
)
_PEM_FORMS = "PEM bytes, PEM text or a path to a PEM file"
_CERT_FORMS = f"{_PEM_FORMS}, a cryptography or pyOpenSSL certificate, or a list"
_KEY_FORMS = f"{_PEM_FORMS}, or a cryptography or pyOpenSSL private key"
_IDENTITY_FORMS = (
    f"a PEM holding the certificate and its key ({_PEM_FORMS}) "
    "or a (certificateChain, privateKey) pair"
)


def _isPEMSource(source: object) -> bool:
    return isinstance(source, (bytes, str, os.PathLike))


def _pemBytes(source: bytes | str | os.PathLike[str], parameter: str) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str) and source.lstrip().startswith("-----BEGIN"):
        return source.encode("ascii")
    try:
        return Path(source).read_bytes()
    except OSError as e:
        raise ValueError(
            f"{parameter}: cannot read the PEM file {os.fspath(source)!r}: "
            f"{e.strerror or e}"
        ) from e


def loadCertificates(
    source: CertificateSource, parameter: str = "certificate"
) -> list[x509.Certificate]:
    """Every certificate in ``source``, in order (leaf first for a chain).

    :raises TypeError: ``source`` is none of the accepted forms.
    :raises ValueError: it holds no PEM certificate.
    """
    if isinstance(source, x509.Certificate):
        return [source]
    if isinstance(source, crypto.X509):
        return [source.to_cryptography()]
    if _isPEMSource(source):
        pem = _pemBytes(source, parameter)  # type: ignore[arg-type]
        try:
            certificates = x509.load_pem_x509_certificates(pem)
        except ValueError:
            certificates = []
        if not certificates:
            raise ValueError(f"{parameter}: no PEM certificate found")
        return certificates
    if isinstance(source, Sequence):
        loaded: list[x509.Certificate] = []
        item: Any
        for item in source:
            if not (_isPEMSource(item) or isinstance(item, _CERTIFICATE_OBJECTS)):
                raise TypeError(
                    f"{parameter}: a chain's items must be {_CERT_FORMS}, "
                    f"not {type(item).__name__}"
                )
            loaded.extend(loadCertificates(item, parameter))
        if not loaded:
            raise ValueError(f"{parameter}: the certificate chain is empty")
        return loaded
    raise TypeError(f"{parameter} must be {_CERT_FORMS}, not {type(source).__name__}")


_CERTIFICATE_OBJECTS = (x509.Certificate, crypto.X509)


def loadPrivateKey(source: KeySource, parameter: str = "privateKey") -> TLSPrivateKey:
    """The private key in ``source`` (an unencrypted PEM block, or a key
    object), as a ``cryptography`` key object.

    :raises TypeError: ``source`` is none of the accepted forms.
    :raises ValueError: it holds no usable private key.
    """
    key: object
    if isinstance(source, crypto.PKey):
        key = source.to_cryptography_key()
    elif _isPEMSource(source):
        pem = _pemBytes(source, parameter)  # type: ignore[arg-type]
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as e:
            raise ValueError(
                f"{parameter}: no unencrypted PEM private key found ({e})"
            ) from e
    elif isinstance(source, _PRIVATE_KEY_TYPES):
        key = source
    else:
        raise TypeError(
            f"{parameter} must be {_KEY_FORMS}, not {type(source).__name__}"
        )
    if not isinstance(key, _PRIVATE_KEY_TYPES):
        raise ValueError(f"{parameter}: TLS cannot use a {type(key).__name__} as a key")
    return key


def loadIdentity(
    source: IdentitySource, parameter: str
) -> tuple[list[x509.Certificate], TLSPrivateKey]:
    """A certificate chain and its key, from a combined PEM or a pair.

    :raises TypeError: ``source`` is none of the accepted forms.
    :raises ValueError: a part is missing or unreadable.
    """
    if _isPEMSource(source):
        pem = _pemBytes(source, parameter)  # type: ignore[arg-type]
        chain = loadCertificates(pem, parameter)
        return chain, loadPrivateKey(pem, parameter)
    if isinstance(source, (tuple, list)) and len(source) == 2:
        chain = loadCertificates(source[0], f"{parameter}[0] (the certificate chain)")
        key = loadPrivateKey(source[1], f"{parameter}[1] (the private key)")
        return chain, key
    raise TypeError(
        f"{parameter} must be {_IDENTITY_FORMS}, not {type(source).__name__}"
    )


def useIdentity(
    context: SSL.Context,
    chain: list[x509.Certificate],
    key: TLSPrivateKey,
    parameter: str,
) -> None:
    """Present ``chain`` with ``key`` on ``context``; refuse a key that is
    not the leaf certificate's."""
    leaf = chain[0]
    if leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ):
        raise ValueError(
            f"{parameter}: the private key does not match the certificate "
            f"({leaf.subject.rfc4514_string() or 'no subject'})"
        )
    context.use_certificate(leaf)
    for extra in chain[1:]:
        context.add_extra_chain_cert(extra)
    context.use_privatekey(key)
    context.check_privatekey()
