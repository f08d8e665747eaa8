"""Sends queued e-mail over SMTP (CASCADE_SMTP_HOST/PORT/USER/PASSWORD/FROM, STARTTLS when
CASCADE_SMTP_STARTTLS=1). The engine queues; this only delivers."""

from __future__ import annotations

import smtplib
from email.header import Header
from email.mime.text import MIMEText

from flask import current_app


def smtp_sender():
    config = current_app.config
    host, port = config.get("SMTP_HOST"), int(config.get("SMTP_PORT") or 25)
    sender = config.get("SMTP_FROM") or "cascade@localhost"

    def send(to: str, subject: str, body: str) -> None:
        if not host:
            raise RuntimeError("no SMTP server configured (CASCADE_SMTP_HOST)")
        # The subject as one encoded word: the modern folder of Python's email package moves the space between
        # two folded encoded words into the folding, and RFC 2047 readers drop it ("trật tự" → "trậttự").
        message = MIMEText(body, "plain", "utf-8")
        message["From"], message["To"], message["Subject"] = sender, to, Header(subject, "utf-8")
        with smtplib.SMTP(host, port, timeout=10) as smtp:
            if config.get("SMTP_STARTTLS"):
                smtp.starttls()
            if config.get("SMTP_USER"):
                smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
            smtp.send_message(message)

    return send
