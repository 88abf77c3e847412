"""YAML value decoding with yaml.v3 rules, Go JSON conversion, fmt.Sprint and time.ParseDuration.

Expectations come from annotations.md §2.1 (YAML table) and §2.2 (pre-processing table).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pomgate.translation import values as values_module
from pomgate.translation.values import (
    JsonValueError,
    YamlValueError,
    go_sprint,
    parse_annotation_value,
    parse_first_document,
    parse_go_duration,
    to_json_value,
)

UTC = dt.UTC


def slow_parse(text: str) -> tuple[Any, bool]:
    """The full YAML path, bypassing both fast paths."""
    return values_module._decode_document(text)


# --------------------------------------------------------------------------- §2.1 table, row by row


@pytest.mark.parametrize("text", ["true", "True", "TRUE"])
def test_only_three_spellings_of_true(text: str) -> None:
    assert parse_annotation_value(text) is True


@pytest.mark.parametrize("text", ["false", "False", "FALSE"])
def test_only_three_spellings_of_false(text: str) -> None:
    assert parse_annotation_value(text) is False


@pytest.mark.parametrize("text", ["yes", "no", "on", "off", "y", "n", "Yes", "ON", "tRUE", "nULL"])
def test_yaml11_booleans_stay_strings(text: str) -> None:
    assert parse_annotation_value(text) == text


@pytest.mark.parametrize("text", ["", "~", "null", "Null", "NULL", "   "])
def test_null_spellings(text: str) -> None:
    assert parse_annotation_value(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10", 10),
        ("+1", 1),
        ("-7", -7),
        ("1_000", 1000),
        ("0x1F", 31),
        ("-0x1F", -31),
        ("0o10", 8),
        ("0b101", 5),
        ("010", 8),
        ("0777", 511),
        ("0", 0),
        ("18446744073709551615", 18446744073709551615),
    ],
)
def test_integers(text: str, expected: int) -> None:
    value = parse_annotation_value(text)
    assert type(value) is int
    assert value == expected


def test_08_is_not_octal_but_the_float_8() -> None:
    value = parse_annotation_value("08")
    assert value == 8
    assert type(value) is float


def test_integer_overflowing_uint64_becomes_float() -> None:
    assert parse_annotation_value("99999999999999999999") == 1e20


@pytest.mark.parametrize(
    ("text", "expected"), [("0.5", 0.5), (".5", 0.5), ("1e3", 1000.0), ("27.0", 27.0), ("-1.5e-3", -0.0015)]
)
def test_floats(text: str, expected: float) -> None:
    value = parse_annotation_value(text)
    assert type(value) is float
    assert value == expected


def test_float_overflow_stays_a_string() -> None:
    assert parse_annotation_value("1e400") == "1e400"


@pytest.mark.parametrize(("text", "sign"), [(".inf", 1), ("+.Inf", 1), ("-.inf", -1), ("-.INF", -1)])
def test_infinities(text: str, sign: int) -> None:
    assert parse_annotation_value(text) == sign * math.inf


def test_nan() -> None:
    assert math.isnan(parse_annotation_value(".nan"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01", dt.datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-01-01T10:00:00Z", dt.datetime(2024, 1, 1, 10, tzinfo=UTC)),
        ("2024-1-2t3:4:5Z", dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2024-01-01 10:00:00", dt.datetime(2024, 1, 1, 10, tzinfo=UTC)),
        ("2024-01-01 10:00:00.25", dt.datetime(2024, 1, 1, 10, 0, 0, 250000, tzinfo=UTC)),
        (
            "2024-01-01T10:00:00+01:30",
            dt.datetime(2024, 1, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=1, minutes=30))),
        ),
    ],
)
def test_timestamps(text: str, expected: dt.datetime) -> None:
    value = parse_annotation_value(text)
    assert isinstance(value, dt.datetime)
    assert value == expected
    assert value.tzinfo is not None


@pytest.mark.parametrize(
    "text", ["2024-01-01T10:00:00", "2024-13-01", "2024-02-30", "24-01-01", "2024-01-01x", "'2024-01-01'"]
)
def test_timestamp_lookalikes_are_strings(text: str) -> None:
    assert isinstance(parse_annotation_value(text), str)


@pytest.mark.parametrize("text", ["1:30", "30s", "2m", "http://a:b", "1.2.3", "0x", "+", "-.", "1e", "1_000.5.1"])
def test_strings_that_look_numeric(text: str) -> None:
    assert parse_annotation_value(text) == text


def test_colon_space_makes_a_map() -> None:
    assert parse_annotation_value("Foo: bar") == {"Foo": "bar"}


def test_comment_after_space_hash() -> None:
    assert parse_annotation_value("a #c") == "a"
    assert parse_annotation_value("a#c") == "a#c"


@pytest.mark.parametrize("text", ["'x'", '"x"'])
def test_quotes_force_strings(text: str) -> None:
    assert parse_annotation_value(text) == "x"


@pytest.mark.parametrize(("text", "expected"), [("'true'", "true"), ('"10"', "10"), ("'~'", "~"), ("''", "")])
def test_quoted_scalars_are_never_resolved(text: str, expected: str) -> None:
    assert parse_annotation_value(text) == expected


def test_lists() -> None:
    assert parse_annotation_value("[a, b]") == ["a", "b"]
    assert parse_annotation_value("- a") == ["a"]
    assert parse_annotation_value("-") == [None]
    assert parse_annotation_value("[1, true, ~, 0.5]") == [1, True, None, 0.5]


def test_maps() -> None:
    assert parse_annotation_value("{a: 1}") == {"a": 1}
    assert parse_annotation_value("key: [v1, v2]") == {"key": ["v1", "v2"]}
    assert parse_annotation_value('{"a":1,"b":[true,null]}') == {"a": 1, "b": [True, None]}


def test_non_string_map_keys_keep_their_type() -> None:
    assert parse_annotation_value("1: a") == {1: "a"}
    assert parse_annotation_value("{true: a, ~: b, 0.5: c}") == {True: "a", None: "b", 0.5: "c"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("*x", "yaml: unknown anchor 'x' referenced"),
        ("@x", "yaml: found character that cannot start any token"),
        ("`x", "yaml: found character that cannot start any token"),
        ("%x", "yaml: found unknown directive name"),
        ("a: b\nc", "yaml: line 2: could not find expected ':'"),
        ("[a, b", "did not find expected ',' or ']'"),
    ],
)
def test_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(YamlValueError) as caught:
        parse_annotation_value(text)
    assert str(caught.value).startswith("yaml: ")
    assert message in str(caught.value)


def test_block_scalar_is_a_string() -> None:
    text = "|\n  allow:\n    or:\n    - email:\n        is: a@b.c\n"
    assert parse_annotation_value(text) == "allow:\n  or:\n  - email:\n      is: a@b.c\n"


# --------------------------------------------------------------------------- yaml.v3 specifics


def test_duplicate_keys_are_an_unmarshal_error() -> None:
    with pytest.raises(YamlValueError) as caught:
        parse_annotation_value("a: 1\nb: 2\na: 3")
    assert str(caught.value) == 'yaml: unmarshal errors:\n  line 3: mapping key "a" already defined at line 1'


def test_keys_collide_by_text_not_by_value() -> None:
    with pytest.raises(YamlValueError, match="mapping key"):
        parse_annotation_value("{1: a, '1': b}")
    assert parse_annotation_value("{1: a, 01: b}") == {1: "b"}  # different text, same value: no error


def test_first_document_only() -> None:
    assert parse_annotation_value("a\n---\nb") == "a"
    assert parse_annotation_value("--- 1\n--- [") == 1


def test_parse_first_document_reports_missing_documents() -> None:
    assert parse_first_document("") == (None, False)
    assert parse_first_document("# just a comment\n") == (None, False)
    assert parse_first_document("---") == (None, True)
    assert parse_first_document("~") == (None, True)
    assert parse_first_document("a") == ("a", True)


def test_anchors_aliases_and_merge_keys() -> None:
    assert parse_annotation_value("[&a x, *a]") == ["x", "x"]
    assert parse_annotation_value("[&a 1, &a 2, *a]") == [1, 2, 2]  # anchors may be redefined
    text = "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3"
    assert parse_annotation_value(text) == {"base": {"x": 1, "y": 2}, "other": {"x": 1, "y": 3}}
    merged = parse_annotation_value("{<<: [{a: 1}, {a: 2, b: 2}]}")
    assert merged == {"a": 1, "b": 2}
    assert parse_annotation_value("{'<<': 1}") == {"<<": 1}  # quoted: not a merge key


def test_alias_expansions_are_independent_copies() -> None:
    value = parse_annotation_value("[&a [1], *a]")
    value[0].append(2)
    assert value[1] == [1]


def test_merge_of_a_scalar_is_an_error() -> None:
    with pytest.raises(YamlValueError, match="map merge requires map"):
        parse_annotation_value("<<: 1")


def test_recursive_alias_is_an_error() -> None:
    with pytest.raises(YamlValueError, match="contains itself"):
        parse_annotation_value("&a [*a]")


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 12):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 10)}]")
    with pytest.raises(YamlValueError, match="excessive aliasing"):
        parse_annotation_value("\n".join(lines))


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(YamlValueError, match="depth"):
        parse_annotation_value("[" * 5000 + "]" * 5000)
    with pytest.raises(YamlValueError, match="depth"):
        parse_annotation_value("- " * 3000 + "x")


def test_collection_keys_are_invalid() -> None:
    with pytest.raises(YamlValueError, match="invalid map key"):
        parse_annotation_value("{[a]: 1}")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("!!str 10", "10"), ("!!int '10'", 10), ("!!float 1", 1.0), ("!!binary aGVsbG8=", "hello"), ("!custom x", "x")],
)
def test_explicit_tags(text: str, expected: Any) -> None:
    value = parse_annotation_value(text)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("text", ["!!int x", "!!bool yes", "!!int 1.5", "!!binary ***"])
def test_explicit_tag_mismatch(text: str) -> None:
    with pytest.raises(YamlValueError):
        parse_annotation_value(text)


def test_control_characters_are_rejected() -> None:
    with pytest.raises(YamlValueError, match="control characters"):
        parse_annotation_value("a\x01b")


# --------------------------------------------------------------------------- fast paths agree with the parser

FAST_SAMPLES = [
    "true",
    "foo.example.com",
    "http://a:b/c",
    "-5s",
    "0x1F",
    "~x",
    "a=b",
    "(x)",
    "1_000",
    '{"a": "aaa"}',
    '{"bool_key":true}',
    '{"a": [1, 2.5, "x", null, false, 1e400, -0]}',
    '["x","y","z"]',
    "[]",
    "{}",
]


@pytest.mark.parametrize("text", FAST_SAMPLES)
def test_fast_path_matches_full_parser(text: str) -> None:
    assert repr(parse_first_document(text)) == repr(slow_parse(text))


json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=8),
)
json_values = st.recursive(
    json_leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=6), inner, max_size=4
        )
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(json_values, st.booleans())
def test_json_fast_path_property(value: Any, compact: bool) -> None:
    text = json.dumps(value, separators=(",", ":") if compact else None)
    if text[:1] not in "[{":
        text = f"[{text}]"
    assert repr(parse_first_document(text)) == repr(slow_parse(text))


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[A-Za-z0-9_./+~=^$()@%:-]{1,12}", fullmatch=True))
def test_plain_fast_path_property(text: str) -> None:
    try:
        expected: Any = slow_parse(text)
    except YamlValueError as err:
        expected = str(err)
    try:
        actual: Any = parse_first_document(text)
    except YamlValueError as err:
        actual = str(err)
    assert repr(actual) == repr(expected)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_parses_or_raises_yaml_error(text: str) -> None:
    try:
        parse_annotation_value(text)
    except YamlValueError as err:
        assert str(err).startswith("yaml: ")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="-:[]{}&*!|>'\"%@#,? \n\tab01.~<", max_size=40))
def test_yaml_syntax_soup_parses_or_raises_yaml_error(text: str) -> None:
    try:
        parse_annotation_value(text)
    except YamlValueError as err:
        assert str(err).startswith("yaml: ")


# --------------------------------------------------------------------------- encoding/json


def test_to_json_value_converts_timestamps_and_integral_floats() -> None:
    value = parse_annotation_value("{a: 2024-01-01, b: 27.0, c: 0.5, d: [2024-01-01T10:00:00.5+01:00]}")
    assert to_json_value(value) == {
        "a": "2024-01-01T00:00:00Z",
        "b": 27,
        "c": 0.5,
        "d": ["2024-01-01T10:00:00.5+01:00"],
    }


@pytest.mark.parametrize(("text", "message"), [(".inf", "+Inf"), ("-.inf", "-Inf"), (".nan", "NaN")])
def test_to_json_value_rejects_non_finite_floats(text: str, message: str) -> None:
    with pytest.raises(JsonValueError) as caught:
        to_json_value({"x": [parse_annotation_value(text)]})
    assert str(caught.value) == f"json: unsupported value: {message}"


@pytest.mark.parametrize("text", ["1: a", "{true: x}", "{~: x}", "{a: {2024-01-01: x}}"])
def test_to_json_value_rejects_non_string_keys(text: str) -> None:
    with pytest.raises(JsonValueError) as caught:
        to_json_value(parse_annotation_value(text))
    assert str(caught.value) == "json: unsupported type: map[interface {}]interface {}"


def test_to_json_value_reports_errors_in_sorted_key_order() -> None:
    with pytest.raises(JsonValueError, match="unsupported type"):
        to_json_value({"b": math.inf, "a": {1: "x"}})


# --------------------------------------------------------------------------- fmt.Sprint (§2.2 map<string,string>)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, "1"),
        (-3, "-3"),
        (True, "true"),
        (False, "false"),
        (1.5, "1.5"),
        (1e6, "1e+06"),
        (0.5, "0.5"),
        (100000.0, "100000"),
        (123456789.0, "1.23456789e+08"),
        (27.0, "27"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (1e21, "1e+21"),
        (math.inf, "+Inf"),
        (-math.inf, "-Inf"),
        (math.nan, "NaN"),
        (None, "<nil>"),
        ([1, 2], "[1 2]"),
        (["a b", None], "[a b <nil>]"),
        ({"x": 1}, "map[x:1]"),
        ({"b": 2, "a": [1, {"c": True}]}, "map[a:[1 map[c:true]] b:2]"),
        (dt.datetime(2024, 1, 1, tzinfo=UTC), "2024-01-01 00:00:00 +0000 UTC"),
        ("text", "text"),
    ],
)
def test_go_sprint(value: Any, expected: str) -> None:
    assert go_sprint(value) == expected


def test_go_sprint_of_parsed_date() -> None:
    assert go_sprint(parse_annotation_value("2024-01-01")) == "2024-01-01 00:00:00 +0000 UTC"


# --------------------------------------------------------------------------- time.ParseDuration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("2m", 120),
        ("1h30m", 5400),
        ("500ms", 0.5),
        ("-5s", -5),
        ("+5s", 5),
        ("1.5s", 1.5),
        (".5s", 0.5),
        ("1.s", 1),
        ("0", 0),
        ("-0", 0),
        ("100ns", 1e-7),
        ("5us", 5e-6),
        ("5\u00b5s", 5e-6),
        ("5\u03bcs", 5e-6),
        ("1h1m1s1ms1us1ns", 3661.001001001),
        ("2562047h", 2562047 * 3600),
    ],
)
def test_go_durations(text: str, seconds: float) -> None:
    parsed = parse_go_duration(text)
    assert parsed is not None
    assert parsed == pytest.approx(seconds, abs=1e-9)


@pytest.mark.parametrize(
    "text", ["", "1", "30", "00", "1d", "1w", "s", ".s", "-", "1 s", "1S", "1.5.5s", "2562048h", "1sm"]
)
def test_invalid_go_durations(text: str) -> None:
    assert parse_go_duration(text) is None


def test_a_repeated_text_is_decoded_once_but_each_caller_gets_its_own_containers() -> None:
    from pomgate.translation import values

    text = "- allow:\n    or:\n      - email: {is: a@example.com}\n"
    values._DOCUMENTS.pop(text, None)
    first, _found = values.parse_first_document(text)
    assert text in values._DOCUMENTS
    first[0]["allow"]["or"].append("mutated by a caller")
    second, _found = values.parse_first_document(text)
    assert second == [{"allow": {"or": [{"email": {"is": "a@example.com"}}]}}]
    bad = "a: [unclosed\n"
    for _ in range(2):  # the remembered error is raised again, with the same message
        with pytest.raises(values.YamlValueError, match="yaml: line"):
            values.parse_first_document(bad)
