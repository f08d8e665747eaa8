"""Form fields declared in the diagram (`camunda:formData`): their definitions, and validation and coercion of
submitted values. Nothing the form does not declare reaches an instance's data."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.errors import FormValidationError

TYPES = ("string", "long", "boolean", "date", "enum", "recipients")
PURPOSE_CODES = ("thuc_hien", "phoi_hop", "bao_cao", "chi_dao", "de_biet", "luu")
DEFAULT_MAX_LENGTH = 20_000
MAX_RECIPIENTS = 2_000


@dataclass(frozen=True)
class FieldDef:
    id: str
    label: str
    type: str
    required: bool = False
    default: Any = None
    options: tuple[tuple[str, str], ...] = ()
    min: float | None = None
    max: float | None = None
    minlength: int | None = None
    maxlength: int | None = None
    readonly: bool = False
    multiline: bool = False
    properties: dict = field(default_factory=dict)

    @property
    def label_vi(self) -> str:
        return self.label.split(" | ")[0]

    @property
    def label_en(self) -> str:
        return self.label.split(" | ", 1)[-1]


@dataclass(frozen=True)
class FieldError:
    code: str
    params: tuple[tuple[str, Any], ...] = ()


FIELD_ERROR_MESSAGES = {
    "required": ("Trường này là bắt buộc.", "This field is required."),
    "not_integer": ("Vui lòng nhập một số nguyên.", "Enter a whole number."),
    "too_small": ("Giá trị phải từ {min} trở lên.", "Must be at least {min}."),
    "too_large": ("Giá trị không được vượt quá {max}.", "Must be at most {max}."),
    "too_short": ("Cần ít nhất {min} ký tự.", "Needs at least {min} characters."),
    "too_long": ("Không được quá {max} ký tự.", "At most {max} characters."),
    "not_a_date": ("Ngày không hợp lệ (dd/mm/yyyy).", "Not a valid date (dd/mm/yyyy)."),
    "not_an_option": ("Vui lòng chọn một giá trị trong danh sách.", "Choose one of the options."),
    "not_boolean": ("Giá trị có/không không hợp lệ.", "Not a yes/no value."),
    "bad_recipients": ("Danh sách nơi nhận không hợp lệ.", "The recipient list is not valid."),
}


def message(error: FieldError, lang: str = "vi") -> str:
    vi, en = FIELD_ERROR_MESSAGES.get(error.code, (error.code, error.code))
    return (en if lang == "en" else vi).format(**dict(error.params))


def _number(text) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except (TypeError, ValueError):
        return None


def form_fields(task_spec) -> list[FieldDef]:
    form = getattr(task_spec, "form", None)
    out = []
    for f in getattr(form, "fields", None) or []:
        constraints = {v.name: v.config for v in (f.validation or [])}
        props = {p.id: p.value for p in (f.properties or [])}
        options = tuple((o.id, o.name) for o in getattr(f, "options", None) or [])
        out.append(
            FieldDef(
                id=f.id,
                label=f.label or f.id,
                type=f.type or "string",
                required="required" in constraints,
                default=f.default_value,
                options=options,
                min=_number(constraints.get("min")),
                max=_number(constraints.get("max")),
                minlength=int(constraints["minlength"]) if _number(constraints.get("minlength")) is not None else None,
                maxlength=int(constraints["maxlength"]) if _number(constraints.get("maxlength")) is not None else None,
                readonly="readonly" in constraints,
                multiline=props.get("multiline") == "true" or props.get("widget") == "textarea",
                properties=props,
            )
        )
    return out


def _parse_date(value) -> str:
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if len(text) == 10 and text[4] == "-":
        return date.fromisoformat(text).isoformat()
    day, month, year = text.split("/")
    if len(year) != 4:
        raise ValueError(text)
    return date(int(year), int(month), int(day)).isoformat()


def _coerce(f: FieldDef, value, context: Mapping) -> Any:
    """The clean value, or raise _Invalid(FieldError)."""
    if f.type == "long":
        if isinstance(value, bool):
            raise _Invalid("not_integer")
        if isinstance(value, int):
            number = value
        else:
            text = str(value).strip()
            if not text.lstrip("+-").isdigit() or len(text) > 18:
                raise _Invalid("not_integer")
            number = int(text)
        if f.min is not None and number < f.min:
            raise _Invalid("too_small", min=_fmt(f.min))
        if f.max is not None and number > f.max:
            raise _Invalid("too_large", max=_fmt(f.max))
        return number
    if f.type == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "on", "1", "yes"):
            return True
        if text in ("false", "off", "0", "no"):
            return False
        raise _Invalid("not_boolean")
    if f.type == "date":
        try:
            return _parse_date(value)
        except (ValueError, TypeError):
            raise _Invalid("not_a_date") from None
    if f.type == "enum":
        text = str(value).strip()
        if text not in {o[0] for o in f.options}:
            raise _Invalid("not_an_option")
        return text
    if f.type == "recipients":
        return _recipients(value, context)
    text = str(value).replace("\r\n", "\n").strip()
    limit = f.maxlength or DEFAULT_MAX_LENGTH
    if len(text) > limit:
        raise _Invalid("too_long", max=limit)
    if f.minlength and len(text) < f.minlength:
        raise _Invalid("too_short", min=f.minlength)
    return text


def _recipients(value, context: Mapping) -> list[dict]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise _Invalid("bad_recipients") from None
    if not isinstance(value, list) or len(value) > MAX_RECIPIENTS:
        raise _Invalid("bad_recipients")
    valid = context.get("valid_org_ids")
    out, seen = [], set()
    for item in value:
        if not isinstance(item, Mapping):
            raise _Invalid("bad_recipients")
        try:
            org_id = int(str(item.get("org_id")))
        except ValueError:
            raise _Invalid("bad_recipients") from None
        purpose = item.get("purpose")
        if purpose not in PURPOSE_CODES or org_id in seen or (valid is not None and org_id not in valid):
            raise _Invalid("bad_recipients")
        seen.add(org_id)
        out.append({"org_id": org_id, "purpose": purpose})
    return out


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


class _Invalid(Exception):
    def __init__(self, code: str, **params):
        super().__init__(code)
        self.error = FieldError(code, tuple(sorted(params.items())))


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def validate_form(fields: list[FieldDef], submitted: Mapping[str, Any], *, context: Mapping | None = None) -> dict:
    """Clean, coerced values for the declared fields, or FormValidationError with every field's error."""
    context = context or {}
    clean, errors = {}, {}
    for f in fields:
        value = f.default if f.readonly else submitted.get(f.id)
        if _empty(value) and f.type != "boolean":
            if f.required:
                errors[f.id] = FieldError("required")
            elif not _empty(f.default):
                value = f.default
            else:
                continue
            if f.id in errors:
                continue
        if value is None and f.type == "boolean":
            value = f.default if f.default is not None else False
        try:
            clean[f.id] = _coerce(f, value, context)
        except _Invalid as exc:
            errors[f.id] = exc.error
    if errors:
        raise FormValidationError(errors)
    return clean
