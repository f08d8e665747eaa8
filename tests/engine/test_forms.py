"""engine.core.forms: fields read from the diagram, and each type's coercion and error codes."""

from __future__ import annotations

import json
from datetime import date

import pytest

from engine.core.errors import FormValidationError
from engine.core.forms import (
    DEFAULT_MAX_LENGTH,
    FIELD_ERROR_MESSAGES,
    FieldDef,
    FieldError,
    coerce_value,
    form_fields,
    message,
    validate_form,
)
from engine.core.parser import load_definition

FORM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="u"/>
    <bpmn:userTask id="u" camunda:candidateGroups="clerk">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="loai" label="Loại văn bản | Document type" type="enum" defaultValue="KH">
            <camunda:value id="KH" name="Kế hoạch | Plan"/>
            <camunda:value id="CV" name="Công văn | Official letter"/>
            <camunda:validation><camunda:constraint name="required"/></camunda:validation>
          </camunda:formField>
          <camunda:formField id="trich_yeu" label="Trích yếu | Summary" type="string">
            <camunda:validation>
              <camunda:constraint name="required"/>
              <camunda:constraint name="minlength" config="3"/>
              <camunda:constraint name="maxlength" config="20"/>
            </camunda:validation>
          </camunda:formField>
          <camunda:formField id="noi_dung" label="Nội dung" type="string">
            <camunda:properties><camunda:property id="multiline" value="true"/></camunda:properties>
          </camunda:formField>
          <camunda:formField id="ghi_chu" label="Ghi chú | Note" type="string">
            <camunda:properties><camunda:property id="widget" value="textarea"/></camunda:properties>
          </camunda:formField>
          <camunda:formField id="so_ban" label="Số bản | Copies" type="long" defaultValue="2">
            <camunda:validation>
              <camunda:constraint name="min" config="1"/>
              <camunda:constraint name="max" config="50"/>
            </camunda:validation>
          </camunda:formField>
          <camunda:formField id="khan" label="Khẩn | Urgent" type="boolean" defaultValue="false"/>
          <camunda:formField id="han" label="Hạn | Deadline" type="date"/>
          <camunda:formField id="ma" label="Mã | Code" type="string" defaultValue="VB-01">
            <camunda:validation><camunda:constraint name="readonly"/></camunda:validation>
          </camunda:formField>
          <camunda:formField id="noi_nhan" label="Nơi nhận | Recipients" type="recipients"/>
        </camunda:formData>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="u" targetRef="e"/>
    <bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture(scope="module")
def fields() -> list[FieldDef]:
    spec, _ = load_definition(FORM).specs["p"]
    return form_fields(spec.task_specs["u"])


def by_id(fields: list[FieldDef]) -> dict[str, FieldDef]:
    return {f.id: f for f in fields}


def errors_of(fields, submitted, **context) -> dict[str, str]:
    with pytest.raises(FormValidationError) as exc:
        validate_form(fields, submitted, context=context or None)
    return {k: v.code for k, v in exc.value.errors.items()}


def valid_submission(**changes):
    base = {"loai": "CV", "trich_yeu": "Họp giao ban", "so_ban": "3", "khan": "on", "han": "10/08/2022"}
    base.update(changes)
    return base


# --- reading the diagram ----------------------------------------------------------------------------------
def test_fields_are_read_from_the_diagram(fields):
    f = by_id(fields)
    assert [x.id for x in fields] == [
        "loai",
        "trich_yeu",
        "noi_dung",
        "ghi_chu",
        "so_ban",
        "khan",
        "han",
        "ma",
        "noi_nhan",
    ]
    assert f["loai"].type == "enum" and f["loai"].required and f["loai"].default == "KH"
    assert f["loai"].options == (("KH", "Kế hoạch | Plan"), ("CV", "Công văn | Official letter"))
    assert f["trich_yeu"].minlength == 3 and f["trich_yeu"].maxlength == 20
    assert f["noi_dung"].multiline and f["ghi_chu"].multiline and not f["trich_yeu"].multiline
    assert f["so_ban"].min == 1 and f["so_ban"].max == 50
    assert f["ma"].readonly and not f["han"].readonly
    assert f["noi_nhan"].type == "recipients"


def test_bilingual_labels_are_kept_raw_and_split(fields):
    f = by_id(fields)
    assert f["loai"].label == "Loại văn bản | Document type"
    assert (f["loai"].label_vi, f["loai"].label_en) == ("Loại văn bản", "Document type")
    assert f["loai"].properties["label_vi"] == "Loại văn bản"
    assert f["loai"].properties["label_en"] == "Document type"
    assert f["noi_dung"].label_vi == f["noi_dung"].label_en == "Nội dung"


def test_a_task_without_a_form_has_no_fields():
    class Bare:
        pass

    assert form_fields(Bare()) == []


# --- a whole submission -----------------------------------------------------------------------------------
def test_valid_submission_is_cleaned_and_coerced(fields):
    clean = validate_form(
        fields,
        valid_submission(
            trich_yeu="  Họp giao ban \r\n",
            ma="attacker's value",
            unknown="dropped",
            noi_nhan=json.dumps([{"org_id": "4", "purpose": "thuc_hien"}, {"org_id": 9, "purpose": "de_biet"}]),
        ),
        context={"valid_org_ids": {4, 9}},
    )
    assert clean == {
        "loai": "CV",
        "trich_yeu": "Họp giao ban",
        "so_ban": 3,
        "khan": True,
        "han": "2022-08-10",
        "ma": "VB-01",
        "noi_nhan": [{"org_id": 4, "purpose": "thuc_hien"}, {"org_id": 9, "purpose": "de_biet"}],
    }
    assert "unknown" not in clean


def test_missing_optional_fields_take_their_default_or_are_omitted(fields):
    clean = validate_form(fields, {"trich_yeu": "abcd"})
    assert clean == {"loai": "KH", "trich_yeu": "abcd", "so_ban": 2, "khan": False, "ma": "VB-01"}


def test_every_error_is_reported_at_once(fields):
    assert errors_of(
        fields,
        {"loai": "ZZ", "trich_yeu": "", "so_ban": "1.5", "khan": "maybe", "han": "31/02/2022", "noi_nhan": "not json"},
    ) == {
        "loai": "not_an_option",
        "trich_yeu": "required",
        "so_ban": "not_integer",
        "khan": "not_boolean",
        "han": "not_a_date",
        "noi_nhan": "bad_recipients",
    }


# --- each type --------------------------------------------------------------------------------------------
LONG = FieldDef("n", "Số", "long", min=0, max=10)


@pytest.mark.parametrize(("value", "expected"), [("7", 7), (" 10 ", 10), (0, 0), (3.0, 3), ("+4", 4)])
def test_long_accepts_integers(value, expected):
    assert validate_form([LONG], {"n": value}) == {"n": expected}


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1.5", "not_integer"),
        ("abc", "not_integer"),
        (True, "not_integer"),
        (2.5, "not_integer"),
        ("1e3", "not_integer"),
        ("9" * 30, "not_integer"),
        ("-1", "too_small"),
        ("11", "too_large"),
    ],
)
def test_long_refuses_what_is_not_a_whole_number_in_range(value, code):
    assert errors_of([LONG], {"n": value}) == {"n": code}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("on", True),
        ("1", True),
        ("YES", True),
        (True, True),
        (1, True),
        ("false", False),
        ("off", False),
        ("0", False),
        ("no", False),
        (False, False),
    ],
)
def test_boolean_words(value, expected):
    assert validate_form([FieldDef("b", "B", "boolean")], {"b": value}) == {"b": expected}


def test_boolean_refuses_other_values_and_defaults_to_false():
    field = FieldDef("b", "B", "boolean", required=True)
    assert errors_of([field], {"b": "maybe"}) == {"b": "not_boolean"}
    assert errors_of([field], {"b": 2}) == {"b": "not_boolean"}
    assert validate_form([field], {}) == {"b": False}  # an unticked checkbox is simply absent
    assert validate_form([FieldDef("b", "B", "boolean", default="true")], {}) == {"b": True}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10/08/2022", "2022-08-10"),
        ("1/8/2022", "2022-08-01"),
        ("2022-08-10", "2022-08-10"),
        (date(2022, 8, 10), "2022-08-10"),
        (" 29/02/2024 ", "2024-02-29"),
    ],
)
def test_date_formats(value, expected):
    assert validate_form([FieldDef("d", "D", "date")], {"d": value}) == {"d": expected}


@pytest.mark.parametrize(
    "value", ["31/02/2022", "2022/08/10", "10-08-2022", "10/08/22", "tomorrow", 20220810, "2022-8-10", "29/02/2023"]
)
def test_date_refuses_anything_else(value):
    assert errors_of([FieldDef("d", "D", "date")], {"d": value}) == {"d": "not_a_date"}


def test_enum_must_be_one_of_the_option_ids():
    field = FieldDef("e", "E", "enum", options=(("approve", "Duyệt"), ("return", "Trả lại")))
    assert validate_form([field], {"e": " approve "}) == {"e": "approve"}
    assert errors_of([field], {"e": "Duyệt"}) == {"e": "not_an_option"}
    assert errors_of([field], {"e": ["approve"]}) == {"e": "not_an_option"}


def test_strings_are_stripped_and_capped():
    short = FieldDef("s", "S", "string", minlength=2, maxlength=5)
    assert validate_form([short], {"s": " Hà  "}) == {"s": "Hà"}
    assert errors_of([short], {"s": "quá dài"}) == {"s": "too_long"}
    assert errors_of([short], {"s": "a"}) == {"s": "too_short"}
    plain = FieldDef("s", "S", "string")
    assert validate_form([plain], {"s": "x" * DEFAULT_MAX_LENGTH})["s"] == "x" * DEFAULT_MAX_LENGTH
    assert errors_of([plain], {"s": "x" * (DEFAULT_MAX_LENGTH + 1)}) == {"s": "too_long"}
    assert validate_form([plain], {"s": "a\x00b\r\nc"}) == {"s": "ab\nc"}
    assert validate_form([plain], {"s": 12}) == {"s": "12"}
    assert errors_of([plain], {"s": {"nested": 1}}) == {"s": "invalid"}


def test_required_fields_refuse_empty_values():
    for field in (
        FieldDef("x", "X", "string", required=True),
        FieldDef("x", "X", "long", required=True),
        FieldDef("x", "X", "recipients", required=True),
    ):
        for empty in (None, "", "   ", []):
            assert errors_of([field], {"x": empty}) == {"x": "required"}
        assert errors_of([field], {}) == {"x": "required"}


def test_readonly_fields_ignore_input():
    field = FieldDef("r", "R", "long", readonly=True, default="5")
    assert validate_form([field], {"r": "99"}) == {"r": 5}
    assert validate_form([FieldDef("r", "R", "string", readonly=True)], {"r": "x"}) == {}


# --- recipients -------------------------------------------------------------------------------------------
RECIPIENTS = FieldDef("to", "Nơi nhận", "recipients")


def test_recipients_accept_a_list_or_json():
    rows = [{"org_id": 3, "purpose": "thuc_hien"}, {"org_id": "5", "purpose": "luu", "extra": "dropped"}]
    expected = [{"org_id": 3, "purpose": "thuc_hien"}, {"org_id": 5, "purpose": "luu"}]
    assert validate_form([RECIPIENTS], {"to": rows}) == {"to": expected}
    assert validate_form([RECIPIENTS], {"to": json.dumps(rows)}) == {"to": expected}
    for purpose in ("thuc_hien", "phoi_hop", "bao_cao", "chi_dao", "de_biet", "luu"):
        assert validate_form([RECIPIENTS], {"to": [{"org_id": 1, "purpose": purpose}]})


@pytest.mark.parametrize(
    "value",
    [
        "{not json",
        json.dumps({"org_id": 1, "purpose": "luu"}),
        [1, 2],
        [{"org_id": "x", "purpose": "luu"}],
        [{"org_id": True, "purpose": "luu"}],
        [{"org_id": 1.5, "purpose": "luu"}],
        [{"org_id": 1}],
        [{"org_id": 1, "purpose": "an_ninh"}],
        [{"org_id": 1, "purpose": "luu"}, {"org_id": 1, "purpose": "de_biet"}],
        [{"org_id": 42, "purpose": "luu"}],
    ],
)
def test_bad_recipients_are_refused(value):
    assert errors_of([RECIPIENTS], {"to": value}, valid_org_ids={1, 2, 3}) == {"to": "bad_recipients"}


def test_recipient_ids_are_only_checked_when_the_caller_knows_them():
    assert validate_form([RECIPIENTS], {"to": [{"org_id": 42, "purpose": "luu"}]}) == {
        "to": [{"org_id": 42, "purpose": "luu"}]
    }


# --- messages ---------------------------------------------------------------------------------------------
def test_every_code_has_bilingual_messages_with_placeholders_filled():
    codes = {
        "required",
        "not_integer",
        "too_small",
        "too_large",
        "too_short",
        "too_long",
        "not_a_date",
        "not_an_option",
        "not_boolean",
        "bad_recipients",
    }
    assert codes <= set(FIELD_ERROR_MESSAGES)
    for code, (vi, en) in FIELD_ERROR_MESSAGES.items():
        assert vi and en and vi != en, code
    assert message(FieldError("required"), "vi") == "Trường này là bắt buộc."
    assert message(FieldError("required"), "en") == "This field is required."
    assert message(FieldError.of("too_small", min="1"), "en") == "Must be at least 1."
    assert message(FieldError.of("too_long", max=5), "vi") == "Không được quá 5 ký tự."
    assert message(FieldError("too_large"), "en") == "Must be at most {max}."  # missing params do not crash
    assert message(FieldError("no_such_code"), "en") == "no_such_code"


def test_errors_carry_their_parameters():
    with pytest.raises(FormValidationError) as exc:
        validate_form([LONG], {"n": "11"})
    error = exc.value.errors["n"]
    assert error == FieldError("too_large", (("max", "10"),))
    assert error.param_dict == {"max": "10"}
    assert message(error, "en") == "Must be at most 10."


def test_coerce_value_checks_one_value():
    assert coerce_value(LONG, "4") == 4
    with pytest.raises(FormValidationError) as exc:
        coerce_value(LONG, "x")
    assert exc.value.errors["n"].code == "not_integer"


def test_a_required_field_left_out_takes_its_default_but_clearing_it_is_an_error():
    field = FieldDef("e", "E", "enum", required=True, default="a", options=(("a", "A"), ("b", "B")))
    assert validate_form([field], {}) == {"e": "a"}
    assert errors_of([field], {"e": ""}) == {"e": "required"}
    broken_default = FieldDef("n", "N", "long", default="many")
    assert validate_form([broken_default], {}) == {}
