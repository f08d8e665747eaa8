"""Form fields declared in the diagram (`camunda:formData`): their definitions, and validation and coercion of
submitted values. Nothing the form does not declare reaches an instance's data."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from engine.core.errors import FormValidationError

TYPES = ("string", "long", "boolean", "date", "enum", "recipients")
PURPOSE_CODES = ("thuc_hien", "phoi_hop", "bao_cao", "chi_dao", "de_biet", "luu")
DEFAULT_MAX_LENGTH = 20_000
MAX_RECIPIENTS = 2_000
MAX_LONG = 2**63 - 1  # fits a signed 64-bit column

TRUE_WORDS = frozenset({"true", "on", "1", "yes"})
FALSE_WORDS = frozenset({"false", "off", "0", "no"})

_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_INTEGER = re.compile(r"^[+-]?\d{1,19}$")


@dataclass(frozen=True)
class FieldDef:
    """One declared form field; `label` is kept raw ("Vietnamese | English")."""

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
    properties: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def label_vi(self) -> str:
        """The Vietnamese half of a bilingual label (the whole label when it has one language)."""
        return split_label(self.label)[0]

    @property
    def label_en(self) -> str:
        """The English half of a bilingual label (the whole label when it has one language)."""
        return split_label(self.label)[1]


@dataclass(frozen=True)
class FieldError:
    """Why one field was refused: a code from FIELD_ERROR_MESSAGES and its (name, value) parameters."""

    code: str
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, code: str, **params: Any) -> FieldError:
        return cls(code, tuple(sorted(params.items())))

    @property
    def param_dict(self) -> dict[str, Any]:
        return dict(self.params)


FIELD_ERROR_MESSAGES: dict[str, tuple[str, str]] = {
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
    "invalid": ("Giá trị không hợp lệ.", "Not a valid value."),
}


def message(error: FieldError, lang: str = "vi") -> str:
    """The error's text in `lang` ("vi" or "en"), placeholders filled."""
    vi, en = FIELD_ERROR_MESSAGES.get(error.code, (error.code, error.code))
    template = en if lang == "en" else vi
    try:
        return template.format(**dict(error.params))
    except (KeyError, IndexError, ValueError):
        return template


def split_label(label: str | None) -> tuple[str, str]:
    """("Vietnamese", "English") from "Vietnamese | English"; both halves equal when there is no " | "."""
    text = label or ""
    if " | " in text:
        vi, en = text.split(" | ", 1)
        return vi.strip(), en.strip()
    return text, text


# --- reading the diagram's fields -------------------------------------------------------------------------
def _number(text: Any) -> float | None:
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def _length(text: Any) -> int | None:
    value = _number(text)
    return int(value) if value is not None and value >= 0 and value.is_integer() else None


def form_fields(task_spec: Any) -> list[FieldDef]:
    """The fields of a task's Camunda form (empty when the task has none)."""
    form = getattr(task_spec, "form", None)
    out: list[FieldDef] = []
    for f in getattr(form, "fields", None) or []:
        constraints = {v.name: v.config for v in (getattr(f, "validation", None) or [])}
        props = {p.id: p.value for p in (getattr(f, "properties", None) or [])}
        options = tuple((o.id, o.name if o.name is not None else o.id) for o in getattr(f, "options", None) or [])
        label = f.label or f.id
        vi, en = split_label(label)
        props.setdefault("label_vi", vi)
        props.setdefault("label_en", en)
        out.append(
            FieldDef(
                id=f.id,
                label=label,
                type=f.type or "string",
                required="required" in constraints,
                default=f.default_value,
                options=options,
                min=_number(constraints.get("min")),
                max=_number(constraints.get("max")),
                minlength=_length(constraints.get("minlength")),
                maxlength=_length(constraints.get("maxlength")),
                readonly="readonly" in constraints or str(props.get("readonly", "")).lower() == "true",
                multiline=str(props.get("multiline", "")).lower() == "true" or props.get("widget") == "textarea",
                properties=props,
            )
        )
    return out


# --- coercion ---------------------------------------------------------------------------------------------
class _Invalid(Exception):
    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.error = FieldError.of(code, **params)


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _to_long(f: FieldDef, value: Any) -> int:
    if isinstance(value, bool):
        raise _Invalid("not_integer")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _INTEGER.match(value.strip()):
        number = int(value.strip())
    else:
        raise _Invalid("not_integer")
    if abs(number) > MAX_LONG:
        raise _Invalid("not_integer")
    if f.min is not None and number < f.min:
        raise _Invalid("too_small", min=_fmt(f.min))
    if f.max is not None and number > f.max:
        raise _Invalid("too_large", max=_fmt(f.max))
    return number


def _to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
    raise _Invalid("not_boolean")


def _to_date(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise _Invalid("not_a_date")
    text = value.strip()
    match = _DMY.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _YMD.match(text)
        if not match:
            raise _Invalid("not_a_date")
        year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        raise _Invalid("not_a_date") from None


def _to_enum(f: FieldDef, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _Invalid("not_an_option")
    text = str(value).strip()
    if text not in {option_id for option_id, _ in f.options}:
        raise _Invalid("not_an_option")
    return text


def _to_string(f: FieldDef, value: Any) -> str:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise _Invalid("invalid")
    text = str(value).replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").strip()
    limit = f.maxlength if f.maxlength is not None else DEFAULT_MAX_LENGTH
    if len(text) > limit:
        raise _Invalid("too_long", max=limit)
    if f.minlength and len(text) < f.minlength:
        raise _Invalid("too_short", min=f.minlength)
    return text


def _to_org_id(value: Any) -> int:
    if isinstance(value, bool):
        raise _Invalid("bad_recipients")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INTEGER.match(value.strip()):
        return int(value.strip())
    raise _Invalid("bad_recipients")


def _to_recipients(value: Any, context: Mapping[str, Any]) -> list[dict[str, Any]]:
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except ValueError:
            raise _Invalid("bad_recipients") from None
    if not isinstance(value, (list, tuple)) or len(value) > MAX_RECIPIENTS:
        raise _Invalid("bad_recipients")
    valid = context.get("valid_org_ids")  # a set, or a mapping keyed by organisation id (kept as it is)
    valid_set = valid if valid is None or isinstance(valid, (AbstractSet, Mapping)) else set(valid)
    out: list[dict[str, Any]] = []
    seen: set[int] = set()
    for item in value:
        if not isinstance(item, Mapping):
            raise _Invalid("bad_recipients")
        org_id = _to_org_id(item.get("org_id"))
        purpose = item.get("purpose")
        if purpose not in PURPOSE_CODES or org_id in seen:
            raise _Invalid("bad_recipients")
        if valid_set is not None and org_id not in valid_set:
            raise _Invalid("bad_recipients")
        seen.add(org_id)
        out.append({"org_id": org_id, "purpose": purpose})
    return out


def coerce_value(f: FieldDef, value: Any, context: Mapping[str, Any] | None = None) -> Any:
    """Coerce one non-empty value for `f`; raises FormValidationError({f.id: FieldError}) when invalid."""
    try:
        return _coerce(f, value, context or {})
    except _Invalid as exc:
        raise FormValidationError({f.id: exc.error}) from None


def _coerce(f: FieldDef, value: Any, context: Mapping[str, Any]) -> Any:
    if f.type == "long":
        return _to_long(f, value)
    if f.type == "boolean":
        return _to_boolean(value)
    if f.type == "date":
        return _to_date(value)
    if f.type == "enum":
        return _to_enum(f, value)
    if f.type == "recipients":
        return _to_recipients(value, context)
    return _to_string(f, value)


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, (list, tuple, dict)) and len(value) == 0


def _default(f: FieldDef, context: Mapping[str, Any]) -> tuple[bool, Any]:
    """(has_default, coerced default); a default the field's own rules refuse counts as none."""
    if _empty(f.default):
        return False, None
    try:
        return True, _coerce(f, f.default, context)
    except _Invalid:
        return False, None


def validate_form(
    fields: list[FieldDef], submitted: Mapping[str, Any], *, context: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Clean, coerced values for the declared fields, or FormValidationError with every field's error.

    Unknown keys are dropped; read-only fields keep their default whatever was submitted; a field left
    out takes its default (an optional one is otherwise omitted, a required one is an error); a field
    submitted empty is an error when required; a missing boolean counts as its default or False.
    """
    context = context or {}
    clean: dict[str, Any] = {}
    errors: dict[str, FieldError] = {}
    for f in fields:
        if f.readonly:
            has_default, value = _default(f, context)
            if has_default:
                clean[f.id] = value
            continue
        value = submitted.get(f.id)
        if _empty(value):
            has_default, default = _default(f, context)
            if f.type == "boolean":
                clean[f.id] = default if has_default else False
            elif f.required and (f.id in submitted or not has_default):
                errors[f.id] = FieldError("required")  # cleared by the user, or nothing to fall back on
            elif has_default:
                clean[f.id] = default
            continue
        try:
            clean[f.id] = _coerce(f, value, context)
        except _Invalid as exc:
            errors[f.id] = exc.error
    if errors:
        raise FormValidationError(errors)
    return clean
