"""The API's own table: requests per token per minute, counted in the database so that a token's rate limit
holds across every web process (and a restart). Keyed by the token's hash, never reused, so rows of a deleted
token can never count against another."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db


class ApiRateWindow(db.Model):
    __tablename__ = "api_rate_window"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    minute: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)  # minutes since the epoch
    count: Mapped[int] = mapped_column(Integer, default=0)


__all__ = ["ApiRateWindow"]
