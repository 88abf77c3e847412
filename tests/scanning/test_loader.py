"""Loader: kubectl's (go-yaml v2) reading of YAML, line numbers, and malformed input."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pomgate.findings import Finding, Severity
from pomgate.scanning.loader import MAX_DEPTH, LoadedDocument, go_number, load_documents
from pomgate.scanning.manifest import LineDict


def load_one(text: str | bytes) -> Any:
    """The value of the only document of ``text``; fails on any finding."""
    documents, findings = load_documents(text, "t.yaml")
    assert findings == []
    assert len(documents) == 1
    return documents[0].value


def scalar(text: str) -> Any:
    value = load_one(f"v: {text}\n")
    return value["v"]


def rules(findings: list[Finding]) -> list[str]:
    return [finding.rule for finding in findings]


# -- scalar resolution ------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"])
def test_kubectl_true_words(word: str) -> None:
    assert scalar(word) is True


@pytest.mark.parametrize("word", ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"])
def test_kubectl_false_words(word: str) -> None:
    assert scalar(word) is False


@pytest.mark.parametrize("word", ["yEs", "oN", "tRUE", "Nope", "nil", "None", "Null!", "y2"])
def test_near_bool_and_null_words_stay_strings(word: str) -> None:
    assert scalar(word) == word


@pytest.mark.parametrize("text", ["~", "null", "Null", "NULL", ""])
def test_null_words(text: str) -> None:
    assert scalar(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8080", 8080),
        ("-12", -12),
        ("+1", 1),
        ("1_000", 1000),
        ("0x1F", 31),
        ("0X1f", 31),
        ("0777", 511),  # leading zero: octal
        ("0o17", 15),
        ("0b101", 5),
        ("-0b11", -3),
        ("0", 0),
        ("18446744073709551615", 18446744073709551615),  # fits uint64
    ],
)
def test_integers(text: str, expected: int) -> None:
    value = scalar(text)
    assert type(value) is int
    assert value == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("-.5", -0.5),
        (".5", 0.5),
        ("1.", 1.0),
        (".inf", math.inf),
        ("-.Inf", -math.inf),
        ("+.INF", math.inf),
        ("08", 8.0),  # not octal, so go-yaml falls through to its float pattern
        ("99999999999999999999", 1e20),  # overflows uint64: a float
        ("+18446744073709551615", 1.8446744073709552e19),  # signed parse overflows int64
    ],
)
def test_floats(text: str, expected: float) -> None:
    value = scalar(text)
    assert type(value) is float
    assert value == expected


def test_nan() -> None:
    assert math.isnan(scalar(".nan"))


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-01",  # timestamps stay strings (PyYAML would give a date)
        "2024-01-01T10:00:00Z",
        "2001-12-14 21:59:43.10",
        "1:30",  # YAML 1.1 sexagesimal: a string for go-yaml v2
        "1e400",  # float overflow: strconv error, so a string
        "1.2.3",
        "0x",
        "0b",
        ".",
        "..5",
        "+.nan",
        "1_000.5.1",
        "12abc",
        "=",
        "<<",
    ],
)
def test_strings_that_look_like_other_types(text: str) -> None:
    assert scalar(text) == text


@pytest.mark.parametrize("text", ["'yes'", '"on"', "'1'", '"0x10"', "'~'", "''", '"2024-01-01"', "'1.5'"])
def test_quoted_scalars_are_strings(text: str) -> None:
    assert scalar(text) == text[1:-1]


def test_go_number_directly() -> None:
    assert go_number("0x_1F") == 31
    assert go_number("1__0") == 10
    assert go_number(".5_5") == 0.55
    assert go_number("-9223372036854775808") == -(1 << 63)
    assert go_number("-9223372036854775809") == -9.223372036854776e18
    assert go_number("1" * 300) == float("1" * 300)
    assert go_number("1" * 5000) == "1" * 5000  # float overflow keeps the string; no int() digit limit
    assert go_number("abc") == "abc"
    assert go_number("") == ""


def test_explicit_tags() -> None:
    value = load_one(
        "a: !!str 123\nb: !!int '12'\nc: !!float 1\nd: !!binary aGVsbG8=\ne: !custom thing\n"
        "f: !!set {x, z}\ng: !!timestamp 2024-01-01\nh: !!bool yes\n"
    )
    assert value == {
        "a": "123",
        "b": 12,
        "c": 1.0,
        "d": "hello",
        "e": "thing",
        "f": {"x": None, "z": None},
        "g": "2024-01-01",
        "h": True,
    }
    assert type(value["c"]) is float


def test_explicit_tag_that_does_not_fit_is_an_error_like_kubectl() -> None:
    documents, findings = load_documents("a: !!int abc\n---\nb: 1\n", "t.yaml")
    assert rules(findings) == ["input/yaml-syntax"]
    assert "!!int" in findings[0].message
    assert findings[0].line == 1
    assert [document.value for document in documents] == [{"b": 1}]


def test_keys_become_json_strings_like_kubectl() -> None:
    value = load_one("on: a\n1: b\n1.5: c\nn: d\n'yes': e\n0x10: f\n")
    assert list(value) == ["true", "1", "1.5", "false", "yes", "16"]


@pytest.mark.parametrize("text", ["~: x\n", "? [1, 2]\n: x\n", "? {a: 1}\n: x\n"])
def test_keys_kubectl_cannot_convert_are_errors(text: str) -> None:
    documents, findings = load_documents(text, "t.yaml")
    assert documents == []
    assert rules(findings) == ["input/yaml-syntax"]
    assert findings[0].line == 1


# -- structure and lines ------------------------------------------------------------------------------

NESTED = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  annotations:
    a.example/one: "1"
    a.example/two: yes
spec:
  ports:
    - name: http
      port: 80
    - {name: https, port: 443}
"""


def test_mappings_record_their_line_and_key_lines() -> None:
    value = load_one(NESTED)
    assert isinstance(value, LineDict)
    assert value.line == 1
    assert value.key_lines == {"apiVersion": 1, "kind": 2, "metadata": 3, "spec": 8}
    annotations = value["metadata"]["annotations"]
    assert annotations.line == 6
    assert annotations.key_lines == {"a.example/one": 6, "a.example/two": 7}
    assert annotations["a.example/two"] is True
    ports = value["spec"]["ports"]
    assert type(ports) is list
    assert [port.line for port in ports] == [10, 12]
    assert ports[1].key_lines == {"name": 12, "port": 12}


def test_line_dicts_carry_only_line_and_key_lines() -> None:
    value = load_one(NESTED)
    assert not hasattr(value, "__dict__")
    assert set(LineDict.__slots__) == {"line", "_lines"}


def test_crlf_line_endings_give_the_same_lines() -> None:
    value = load_one(NESTED.replace("\n", "\r\n").encode())
    assert value["metadata"]["annotations"].key_lines == {"a.example/one": 6, "a.example/two": 7}
    assert value["spec"]["ports"][1].line == 12


def test_documents_have_index_and_start_line() -> None:
    documents, findings = load_documents("---\na: 1\n---\n# comment\nb: 2\n---\n", "t.yaml")
    assert findings == []
    assert [(d.index, d.line, d.value) for d in documents[:2]] == [(0, 2, {"a": 1}), (1, 5, {"b": 2})]
    assert [(d.index, d.value) for d in documents[2:]] == [(2, None)]


def test_json_is_read_with_lines() -> None:
    text = json.dumps({"kind": "Service", "metadata": {"name": "web", "labels": {"on": "yes"}}}, indent=2)
    value = load_one(text)
    assert value == {"kind": "Service", "metadata": {"name": "web", "labels": {"on": "yes"}}}
    assert value.key_lines == {"kind": 2, "metadata": 3}
    assert value["metadata"]["labels"].key_lines == {"on": 6}


def test_json_with_tabs_and_escaped_slash() -> None:
    assert load_one('{\n\t"a": "x\\/y",\n\t"b": [1,\t2.5, true, null]\n}\n') == {"a": "x/y", "b": [1, 2.5, True, None]}


def test_aliases_share_one_object() -> None:
    value = load_one("a: &x {k: v}\nb: *x\nc: [*x]\n")
    assert value["b"] is value["a"]
    assert value["c"][0] is value["a"]


def test_merge_keys_apply_in_written_order_like_go_yaml_v2() -> None:
    value = load_one(
        "base: &b {k: 1, z: 2}\n"
        "other: &o {k: 3, w: 4}\n"
        "before:\n  k: 0\n  <<: *b\n"  # merge after an explicit key overrides it (go-yaml v2)
        "after:\n  <<: *b\n  k: 0\n"
        "list:\n  <<: [*b, *o]\n"  # earlier maps in a merge list win
        "quoted:\n  '<<': *b\n"
    )
    assert value["before"] == {"k": 1, "z": 2}
    assert value["after"] == {"k": 0, "z": 2}
    assert value["list"] == {"k": 1, "z": 2, "w": 4}
    assert value["quoted"] == {"<<": {"k": 1, "z": 2}}
    assert value["after"].key_lines["k"] == 8
    assert value["after"].key_lines["z"] == 1  # merged keys point at where they are written


def test_merge_of_a_scalar_is_an_error() -> None:
    documents, findings = load_documents("a: &s x\nb:\n  <<: *s\n", "t.yaml")
    assert documents == []
    assert rules(findings) == ["input/yaml-syntax"]
    assert "merge" in findings[0].message


# -- duplicate keys -----------------------------------------------------------------------------------


def test_duplicate_keys_keep_the_last_and_warn_at_the_second() -> None:
    documents, findings = load_documents("metadata:\n  annotations:\n    a: first\n    b: x\n    a: second\n", "t.yaml")
    assert findings == []
    (document,) = documents
    annotations = document.value["metadata"]["annotations"]
    assert annotations == {"a": "second", "b": "x"}
    assert annotations.key_lines["a"] == 5
    (note,) = document.findings
    assert (note.rule, note.severity, note.line, note.path) == (
        "input/yaml-duplicate-key",
        Severity.WARNING,
        5,
        "t.yaml",
    )
    assert "line 3" in note.message


def test_keys_that_collapse_to_one_json_key_are_duplicates() -> None:
    (document,), _ = load_documents("yes: a\ntrue: b\n", "t.yaml")
    assert document.value == {"true": "b"}
    assert [note.line for note in document.findings] == [2]


def test_merged_keys_overridden_explicitly_are_not_duplicates() -> None:
    (document,), _ = load_documents("b: &b {k: 1}\nm:\n  <<: *b\n  k: 2\n", "t.yaml")
    assert document.value["m"] == {"k": 2}
    assert document.findings == ()


# -- malformed input ----------------------------------------------------------------------------------


def test_syntax_error_keeps_earlier_documents_and_resumes_at_next_separator() -> None:
    text = "a: 1\n---\nb: [1, 2\nc: 3\n---\nd: 4\n"
    documents, findings = load_documents(text, "broken.yaml")
    assert [(d.index, d.line, d.value) for d in documents] == [(0, 1, {"a": 1}), (2, 6, {"d": 4})]
    (error,) = findings
    assert (error.rule, error.severity, error.path) == ("input/yaml-syntax", Severity.ERROR, "broken.yaml")
    assert (error.line, error.column) == (4, 2)  # where libyaml notices the "[" is not closed


def test_syntax_error_line_and_column() -> None:
    documents, findings = load_documents("a: 1\nb: c: d\n", "t.yaml")
    assert documents == []
    assert [(f.rule, f.line, f.column) for f in findings] == [("input/yaml-syntax", 2, 5)]


def test_error_at_end_of_stream_points_at_last_line() -> None:
    _, findings = load_documents("a: 1\n---\nb: 'open\n\n", "t.yaml")
    assert [(f.rule, f.line) for f in findings] == [("input/yaml-syntax", 3)]


def test_errors_in_several_documents_are_all_reported() -> None:
    text = "a: [\n---\nok: 1\n---\nb: {\n---\nok: 2\n"
    documents, findings = load_documents(text, "t.yaml")
    assert [d.value for d in documents] == [{"ok": 1}, {"ok": 2}]
    assert [d.line for d in documents] == [3, 7]
    assert rules(findings) == ["input/yaml-syntax", "input/yaml-syntax"]


def test_undefined_alias_is_a_syntax_error() -> None:
    documents, findings = load_documents("a: *nowhere\n---\nb: 1\n", "t.yaml")
    assert [d.value for d in documents] == [{"b": 1}]
    assert [(f.rule, f.line) for f in findings] == [("input/yaml-syntax", 1)]


def test_control_character_is_reported_and_other_documents_read() -> None:
    documents, findings = load_documents("a: 1\n---\nb: x\x01y\n---\nc: 3\n", "t.yaml")
    assert [(d.index, d.value) for d in documents] == [(0, {"a": 1}), (1, None), (2, {"c": 3})]
    assert documents[2].line == 5
    assert [(f.rule, f.line, f.column) for f in findings] == [("input/yaml-syntax", 3, 5)]
    assert "U+0001" in findings[0].message


def test_control_character_in_what_may_be_a_secret_is_not_described() -> None:
    text = "kind: ConfigMap\ndata: {a: x\x01}\n---\nkind: Secret\nstringData: {a: pass\x07word}\n"
    documents, findings = load_documents(text, "t.yaml")
    assert all(d.value is None for d in documents)  # both skipped
    assert [(f.line, f.column) for f in findings] == [(2, 12), (5, None)]  # the Secret's: no column
    assert "U+0001" in findings[0].message
    assert findings[1].message == "YAML error: control characters are not allowed; document skipped"


def test_many_documents_with_control_characters_take_linear_time() -> None:
    # Each skipped document used to be searched for and rebuilt over the whole text: 8,000 took 11 s.
    import time

    started = time.perf_counter()
    documents, findings = load_documents("---\nbad: \x01\n---\nok: 1\n" * 20_000, "t.yaml")
    assert time.perf_counter() - started < 5
    assert len(findings) == 20_000
    assert [d.value for d in documents[:3]] == [None, {"ok": 1}, None]
    assert findings[-1].line == 4 * 20_000 - 2


def test_many_broken_documents_take_linear_time() -> None:
    # Each restart after a syntax error used to hand libyaml the whole rest of the text: 160,000
    # broken documents (1.4 MB) took 30 s, a 32 MiB file hours. Restarts now read short chunks.
    import time

    started = time.perf_counter()
    documents, findings = load_documents("---\na: [\n" * 100_000 + "---\nlast: 1\n", "t.yaml")
    assert time.perf_counter() - started < 8
    assert len(findings) == 100_000
    assert findings[-1].line == 200_001  # (found at the next `---`)
    assert [(d.index, d.line, d.value) for d in documents] == [(100_000, 200_002, {"last": 1})]


def test_control_characters_far_into_a_long_file() -> None:
    body = "".join(f"---\nname: n{i}\n" for i in range(3000))
    text = body + "---\nbad: \x7f\n" + body + "---\nalso: \x1b[0m\n---\nlast: 1\n"
    documents, findings = load_documents(text, "t.yaml")
    values = [d.value for d in documents if d.value is not None]
    assert len(values) == 6001
    assert values[-1] == {"last": 1}
    assert documents[-1].line == text.count("\n")
    assert [(f.rule, f.line) for f in findings] == [("input/yaml-syntax", 6002), ("input/yaml-syntax", 12004)]


def test_nul_bytes_mean_binary() -> None:
    documents, findings = load_documents(b"a: 1\nb: \x00\x01\x02\n", "blob.yaml")
    assert documents == []
    assert [(f.rule, f.severity, f.line, f.path) for f in findings] == [
        ("input/not-text", Severity.ERROR, 2, "blob.yaml")
    ]


def test_nul_character_in_text_input_is_binary_too() -> None:
    assert rules(load_documents("a: \x00\n", "t.yaml")[1]) == ["input/not-text"]


def test_latin1_bytes_are_not_text() -> None:
    documents, findings = load_documents("a: 1\nname: café\n".encode("latin-1"), "t.yaml")
    assert documents == []
    assert [(f.rule, f.line) for f in findings] == [("input/not-text", 2)]
    # Neither the byte nor its offset: in a Secret written in Latin-1 they would tell part of a value.
    assert "0xe9" not in findings[0].message
    assert "offset" not in findings[0].message
    assert findings[0].message.endswith("not valid UTF-8 (Latin-1 or another encoding?)")


def test_utf8_bom_is_stripped() -> None:
    assert load_one(b"\xef\xbb\xbfname: caf\xc3\xa9\n") == {"name": "café"}
    assert load_one("\ufeffa: 1\n") == {"a": 1}


def test_utf16_with_bom_is_decoded() -> None:
    assert load_one("a: é\nb: yes\n".encode("utf-16")) == {"a": "é", "b": True}
    assert load_one("a: 1\n".encode("utf-16-be").join([b"\xfe\xff", b""])) == {"a": 1}


def test_lone_surrogates_in_text_are_not_text() -> None:
    documents, findings = load_documents("a: \ud800\n", "t.yaml")
    assert documents == []
    assert rules(findings) == ["input/not-text"]


def billion_laughs(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        aliases = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{aliases}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_rejected_quickly_and_other_documents_survive() -> None:
    text = "before: 1\n---\n" + billion_laughs() + "---\nafter: 2\n"
    started = time.perf_counter()
    documents, findings = load_documents(text, "bomb.yaml")
    assert time.perf_counter() - started < 2.0
    assert [d.value for d in documents] == [{"before": 1}, {"after": 2}]
    assert [(f.rule, f.severity, f.line) for f in findings] == [("input/yaml-alias-limit", Severity.ERROR, 3)]


def test_moderate_alias_use_is_fine() -> None:
    text = "common: &c {a: 1, b: 2, c: 3}\nitems:\n" + "".join(f"  - {{id: {i}, <<: *c}}\n" for i in range(300))
    value = load_one(text)
    assert len(value["items"]) == 300
    assert value["items"][299] == {"id": 299, "a": 1, "b": 2, "c": 3}


def test_alias_loop_is_rejected() -> None:
    documents, findings = load_documents("a: &x\n  b: *x\n", "t.yaml")
    assert documents == []
    assert rules(findings) == ["input/yaml-alias-limit"]


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5000 + "]" * 5000,
        "{a: " * 5000 + "1" + "}" * 5000,
        "".join(" " * level + "k:\n" for level in range(5000)),
    ],
    ids=["flow-sequences", "flow-mappings", "block-mappings"],
)
def test_5000_levels_of_nesting_are_too_deep(text: str) -> None:
    documents, findings = load_documents("ok: 1\n---\n" + text + "\n---\nok: 2\n", "deep.yaml")
    assert [d.value for d in documents] == [{"ok": 1}, {"ok": 2}]
    assert rules(findings) == ["input/yaml-too-deep"]
    assert findings[0].line is not None


def test_depth_limit_is_exact() -> None:
    fine = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert load_documents(fine, "t.yaml")[1] == []
    too_deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    documents, findings = load_documents(too_deep, "t.yaml")
    assert documents == []
    assert rules(findings) == ["input/yaml-too-deep"]


def test_depth_through_aliases_is_counted() -> None:
    half = MAX_DEPTH // 2 + 10
    text = f"a: &a {'[' * half}1{']' * half}\nb: {'[' * half}*a{']' * half}\n"
    documents, findings = load_documents(text, "t.yaml")
    assert documents == []
    assert rules(findings) == ["input/yaml-too-deep"]


def test_pyyaml_globals_are_untouched() -> None:
    assert yaml.safe_load("a: y") == {"a": "y"}
    assert yaml.load("a: 2024-01-01", Loader=yaml.CSafeLoader)["a"].year == 2024


# -- properties ---------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_raises(text: str) -> None:
    documents, findings = load_documents(text, "fuzz.yaml")
    assert all(isinstance(document, LoadedDocument) for document in documents)
    assert all(finding.path == "fuzz.yaml" and finding.line is not None for finding in findings)


YAMLISH = st.lists(
    st.sampled_from(
        [
            "a",
            ": ",
            "- ",
            "\n",
            "  ",
            "[",
            "]",
            "{",
            "}",
            ",",
            "&x ",
            "*x",
            "<<: ",
            "---\n",
            "'",
            '"',
            "#",
            "!!int ",
            "? ",
            "|\n",
            "yes",
            "0x1",
            "\r\n",
            "\t",
            "é",
            "\x85",
            "\x00",
            "\ufeff",
        ]
    ),
    max_size=80,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(YAMLISH)
def test_yaml_like_text_never_raises(text: str) -> None:
    load_documents(text, "fuzz.yaml")
    load_documents(text.encode("utf-8", "surrogatepass"), "fuzz.yaml")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    load_documents(data, "fuzz.yaml")


JSON_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cf", "Zl", "Zp", "Co", "Cn")), max_size=12
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(1 << 63), (1 << 63) - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | JSON_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(JSON_TEXT, children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_json_documents_read_back_as_written(value: Any) -> None:
    for indent in (None, 2):
        assert load_one(json.dumps(value, ensure_ascii=False, indent=indent)) == value
