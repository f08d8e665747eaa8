"""A throw-away certificate and key made in the test, and a PDF signed with them by pyHanko."""

from __future__ import annotations

import datetime
import io

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

SIGNER = "Lê Thị Lan"
ORGANISATION = "Phòng Giáo dục và Đào tạo thành phố Cẩm Phả"


def sign_pdf(pdf: bytes) -> bytes:
    """The PDF signed by a self-signed certificate for SIGNER (valid for a day either side of now)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, SIGNER), x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION)]
    )
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    certificate = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    private = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signer = signers.SimpleSigner(
        signing_cert=certificate,
        signing_key=asn1_keys.PrivateKeyInfo.load(private),
        cert_registry=SimpleCertificateStore.from_certs([certificate]),
    )
    out = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)), signers.PdfSignatureMetadata(field_name="ChuKy"), signer=signer
    )
    return out.getvalue()


def change_one_byte(pdf: bytes, marker: bytes = b"LibreOffice") -> bytes:
    """The same file with one byte of its signed content changed (a letter of the producer's name)."""
    at = pdf.index(marker)
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]
