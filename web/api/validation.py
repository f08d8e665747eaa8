"""Query arguments checked the way form fields are: a refusal is a 422 with a message per argument in both
languages (`web/errors.py` answers FormValidationError)."""

from __future__ import annotations

from flask import request

from engine.core.errors import FormValidationError
from engine.core.forms import FieldError


def choice(name: str, options: tuple[str, ...]) -> str | None:
    """The argument if it is one of `options` (None when absent); 422 otherwise."""
    value = request.args.get(name) or None
    if value is not None and value not in options:
        raise FormValidationError({name: FieldError("not_an_option")})
    return value
