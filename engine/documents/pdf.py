"""A document's PDF, made from its Word file by LibreOffice headless (Debian's `libreoffice-writer-nogui`): the
fonts it uses are embedded (Times New Roman falls back to the metric-compatible Liberation Serif, which has every
Vietnamese letter) and the text stays a text layer."""

from __future__ import annotations

import shutil
import subprocess  # noqa: S404 - a fixed command line, no shell
import tempfile
from pathlib import Path

from engine.core.errors import EngineError

TIMEOUT_SECONDS = 120


class PdfUnavailableError(EngineError):
    """No converter on this machine, or it failed: the Word file is still there."""


def converter() -> str | None:
    """The LibreOffice binary, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(docx: bytes, *, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """Convert one Word file; each call has its own LibreOffice profile, so conversions may run side by side."""
    binary = converter()
    if binary is None:
        raise PdfUnavailableError("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory(prefix="cascade-pdf-") as tmp:
        work = Path(tmp)
        source = work / "document.docx"
        source.write_bytes(docx)
        command = [
            binary,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(work),
            str(source),
        ]
        try:
            subprocess.run(command, capture_output=True, timeout=timeout, check=True)  # noqa: S603
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            raise PdfUnavailableError(f"LibreOffice could not convert the document: {exc}") from exc
        result = work / "document.pdf"
        if not result.is_file():
            raise PdfUnavailableError("LibreOffice wrote no PDF")
        return result.read_bytes()
