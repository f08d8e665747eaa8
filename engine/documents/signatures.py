"""Digital signatures in a PDF (NĐ 30 allows electronic documents signed digitally), read with pyHanko: who
signed (the certificate's subject and issuer, as written: no trust list yet), when, and whether the file is intact
since signing (the signed byte range's digest matches and nothing but signatures was added after it)."""

from __future__ import annotations

import io
import logging

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

log = logging.getLogger(__name__)

# pyHanko's modification levels: what was changed after the signature, if anything
_COVERAGE_OK = {"ENTIRE_FILE", "ENTIRE_REVISION"}


def _signer_time(status) -> str | None:
    when = getattr(status, "signer_reported_dt", None) or getattr(status, "timestamp_validity", None)
    when = getattr(when, "timestamp", when)
    return when.isoformat() if hasattr(when, "isoformat") else None


def _one(embedded) -> dict:
    context = ValidationContext(trust_roots=[], allow_fetching=False)  # no trust list: report, do not judge
    status = validate_pdf_signature(embedded, context, skip_diff=False)
    cert = status.signing_cert
    coverage = getattr(status.coverage, "name", str(status.coverage))
    modification = getattr(status.modification_level, "name", str(status.modification_level))
    intact = bool(status.intact and status.valid and coverage in _COVERAGE_OK)
    intact = intact and modification in {"NONE", "LTA_UPDATES"}
    log.debug(
        "signature %s: intact=%s valid=%s coverage=%s modification=%s",
        embedded.field_name,
        status.intact,
        status.valid,
        coverage,
        modification,
    )
    return {
        "field": embedded.field_name,
        "subject": cert.subject.human_friendly if cert is not None else None,
        "issuer": cert.issuer.human_friendly if cert is not None else None,
        "signed_at": _signer_time(status),
        "intact": intact,
        "coverage": coverage,
    }


def _broken(field: str | None, reason: str) -> dict:
    return {"field": field, "subject": None, "issuer": None, "signed_at": None, "intact": False, "error": reason}


def pdf_signatures(data: bytes) -> list[dict]:
    """Every signature in the PDF, each with subject, issuer, signed_at (ISO) and intact; [] when unsigned. A PDF
    that cannot be read, or a signature that cannot be checked, is reported as not intact, never as valid."""
    if b"/ByteRange" not in data:
        return []
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as exc:  # noqa: BLE001 - a hostile or broken file: report it, never crash the upload
        log.info("unreadable signed PDF: %s", exc)
        return [_broken(None, "unreadable")]
    if not embedded:  # a signature dictionary nobody can find any more: the file was changed
        return [_broken(None, "unreadable")]
    out = []
    for signature in embedded:
        try:
            out.append(_one(signature))
        except Exception as exc:  # noqa: BLE001 - the digest or the structure is broken: the file was changed
            log.info("signature %s not verifiable: %s", signature.field_name, exc)
            out.append(_broken(signature.field_name, "unverifiable"))
    return out
