"""Why a TLS peer was rejected, in words a person can act on.

OpenSSL reports a failed certificate check as one terse handshake error
("certificate verify failed") and keeps the precise cause (an X.509 verify
code) on the side. A per-connection verify callback records that code as
the chain is checked, and also runs the service_identity check of the leaf
certificate against the expected host name or IP address, so a mismatch
aborts the handshake with a proper alert instead of after it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from cryptography import x509
from OpenSSL import SSL, crypto
from service_identity import VerificationError
from service_identity.cryptography import (
    verify_certificate_hostname,
    verify_certificate_ip_address,
)
from service_identity.exceptions import CertificateError

__all__ = ["VerifyRecord", "reasonForCode", "sslErrorText"]

# X.509 verify result codes (x509_vfy.h) worded for a person.
_REASONS: dict[int, str] = {
    2: "untrusted issuer: the issuer certificate could not be found",
    4: "the certificate signature could not be decrypted",
    7: "the certificate signature is invalid",
    9: "the certificate is not yet valid",
    10: "the certificate has expired",
    13: "the certificate has a malformed notBefore field",
    14: "the certificate has a malformed notAfter field",
    18: "self-signed certificate: it is not trusted",
    19: "self-signed certificate in the chain: its root is not trusted",
    20: "untrusted issuer: no trusted root issued the certificate",
    21: "untrusted issuer: the first certificate cannot be verified",
    22: "the certificate chain is too long",
    23: "the certificate has been revoked",
    24: "an issuer in the chain is not a valid CA",
    25: "the chain exceeds an issuer's path length constraint",
    26: "the certificate is not meant for this purpose",
    27: "the root certificate is not trusted for this purpose",
    28: "the root certificate rejects this purpose",
    62: "hostname mismatch",
    64: "IP address mismatch",
}


def reasonForCode(code: int) -> str:
    """A readable reason for the X.509 verify result ``code``."""
    return _REASONS.get(code, f"certificate verification failed (X.509 error {code})")


def sslErrorText(error: SSL.Error) -> str:
    """The reasons inside a pyOpenSSL error, joined into one line."""
    parts: list[str] = []
    for item in error.args[0] if error.args else ():
        if isinstance(item, tuple) and item:
            parts.append(str(item[-1]))
        else:
            parts.append(str(item))
    return "; ".join(p for p in parts if p) or type(error).__name__


def _names(leaf: x509.Certificate) -> str:
    """The identities a certificate names, for an error message."""
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return "no subject alternative name"
    names = [str(n.value) for n in san.value]
    return ", ".join(names) if names else "no subject alternative name"


@dataclass(slots=True)
class VerifyRecord:
    """Checks one connection's peer and remembers why it was rejected.

    ``expected`` is the host name or IP address the certificate must name,
    or ``None`` to check only the chain.
    """

    expected: str | None = None
    reason: str | None = None
    depth: int | None = None
    _isIP: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        if self.expected is not None:
            try:
                ipaddress.ip_address(self.expected)
            except ValueError:
                self._isIP = False
            else:
                self._isIP = True

    def callback(
        self,
        connection: SSL.Connection,
        certificate: crypto.X509,
        code: int,
        depth: int,
        ok: int,
    ) -> bool:
        """The verify callback OpenSSL calls for each certificate of the chain."""
        if not ok:
            if self.reason is None:
                self.reason = reasonForCode(code)
                self.depth = depth
            return False
        if depth == 0 and self.expected is not None:
            why = self._identityProblem(certificate)
            if why is not None:
                self.reason = why
                self.depth = 0
                return False
        return True

    def _identityProblem(self, certificate: crypto.X509) -> str | None:
        expected = self.expected
        assert expected is not None
        leaf = certificate.to_cryptography()
        try:
            if self._isIP:
                verify_certificate_ip_address(leaf, expected)
            else:
                verify_certificate_hostname(leaf, expected)
        except VerificationError:
            kind = "IP address" if self._isIP else "hostname"
            return (
                f"{kind} mismatch: the certificate is for {_names(leaf)}, "
                f"not {expected}"
            )
        except CertificateError as e:
            return f"the certificate names no usable identity: {e}"
        return None
