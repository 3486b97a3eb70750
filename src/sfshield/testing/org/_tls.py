"""A throwaway certificate authority and server certificate for the embedded org, made fresh at every start.

The CA's private key lives only in memory and dies with the process; its certificate is written to a file so that
a ``requests.Session`` can verify the org (``session.verify = org.ca_file``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["TlsMaterial", "make_tls"]

_VALIDITY = dt.timedelta(days=2)


@dataclass(frozen=True, slots=True)
class TlsMaterial:
    """Where the CA certificate is, and a server-side SSL context for ``127.0.0.1``/``localhost``."""

    folder: Path
    ca_file: Path
    context: ssl.SSLContext


def make_tls() -> TlsMaterial:
    """Create a CA and a server certificate signed by it, in a new private temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="sfshield-org-"))
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _certificate(
        _name("sfshield embedded org CA"), ca_key, ca_key, _name("sfshield embedded org CA"), ca=True
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = _certificate(_name("localhost"), server_key, ca_key, ca_cert.subject, ca=False)
    ca_file = folder / "ca.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    chain = folder / "server.pem"
    chain.write_bytes(
        server_cert.public_bytes(serialization.Encoding.PEM)
        + server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    chain.chmod(0o600)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(chain)
    chain.unlink()  # the key is in the context now; nothing secret stays on disk
    return TlsMaterial(folder, ca_file, context)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    signer: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    *,
    ca: bool,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        # Key identifiers: Python 3.13 verifies strictly (VERIFY_X509_STRICT), which needs the authority key id.
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
    )
    if ca:
        usage = x509.KeyUsage(
            digital_signature=False,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=True,
            crl_sign=True,
            encipher_only=False,
            decipher_only=False,
        )
        builder = builder.add_extension(usage, critical=True)
    else:
        sans = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(signer, hashes.SHA256())
