"""Quoted source lines (the text report's excerpts) never show a Secret's value.

Which parts of a line are Secret data is decided by the parsed kind (`pomgate.scanning.excerpt`),
so a Secret written as flow YAML or JSON on one line, inside a ``List``, broken by a syntax error,
or named through an alias, tag or escape is masked as well as a block-style one; values under
header/token keys (``X-Api-Key``, ``Authorization``) are masked in any object.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pomgate.pipeline import Analysis, analyze_objects
from pomgate.reports.check_output import write_check
from pomgate.scanning.excerpt import is_sensitive_key, mask_inline_pairs, redact_line
from pomgate.scanning.scan import scan_text
from pomgate.scanning.source import SourceLines
from pomgate.translation.options import TranslateOptions

PROJECT = Path(__file__).resolve().parents[2]
VALUE = "zqExcerptSecret7Hc2"
ENCODED = base64.b64encode(VALUE.encode()).decode()

INGRESS = (
    '{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web", "namespace": "apps"}, '
    '"spec": {"ingressClassName": "pomerium", "rules": [{"host": "web.example.com", "http": {"paths": [{"path": "/", '
    '"pathType": "Prefix", "backend": {"service": {"name": "gone", "port": {"number": 80}}}}]}}]}}'
)

#: Reproductions (each leaked its value on the text report before): file text, what its excerpt shows.
LEAKS = {
    "flow Secret on one line, broken": (
        '{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, '
        f'"stringData": {{"X-K": "{VALUE}"}}}} x\n',
        '"stringData": {"X-K": <redacted>}}',
    ),
    "List holding a Secret, broken": (
        '{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Secret", '
        f'"metadata": {{"name": "s"}}, "stringData": {{"X-K": "{VALUE}"}}}}]}} x\n',
        '"stringData": {"X-K": <redacted>}}]}',
    ),
    "kubectl JSON (data before kind) on one line, broken": (
        f'{{"apiVersion":"v1","data":{{"X-Api-Key":"{ENCODED}"}},"kind":"Secret","metadata":{{"name":"s"}}}} x\n',
        '"data":{"X-Api-Key":<redacted>}',
    ),
    "List with a Secret and an Ingress on one line, an Ingress finding": (
        '{"kind": "List", "apiVersion": "v1", "items": [{"kind": "Secret", "apiVersion": "v1", "metadata": '
        f'{{"name": "h"}}, "stringData": {{"X-K": "{VALUE}"}}}}, {INGRESS}]}}\n',
        '"stringData": {"X-K": <redacted>}}',
    ),
    "X-Api-Key header on a broken line": (
        f'apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\nspec:\n  X-Api-Key: "{VALUE}" x\n',
        "X-Api-Key: <redacted>",
    ),
    "header map inside an annotation's string, broken line": (
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: inline\n  annotations:\n"
        f'    ingress.pomerium.io/set_request_headers: \'{{"Authorization": "Bearer {VALUE}"}}\' x\n',
        "'{\"Authorization\": <redacted>}'",
    ),
}


def analyze_files(files: dict[str, str]) -> Analysis:
    objects, findings = [], []
    for path, text in files.items():
        found_objects, found = scan_text(text, path, "default")
        objects.extend(found_objects)
        findings.extend(found)
    return analyze_objects(objects, TranslateOptions(), scan_findings=findings, files=list(files), sources=files)


def text_report(files: dict[str, str]) -> str:
    out = io.StringIO()
    write_check(analyze_files(files), "text", out, color=False)
    return out.getvalue()


def shows_secret(text: str) -> bool:
    return VALUE in text or ENCODED in text or ENCODED.rstrip("=") in text


@pytest.mark.parametrize("case", sorted(LEAKS))
def test_the_text_report_quotes_the_line_with_the_secret_value_masked(case: str) -> None:
    text, shown = LEAKS[case]
    report = text_report({"f.yaml": text})
    assert not shows_secret(report)
    assert shown in report  # the line is still quoted: the test would see a leak


def test_pomgate_check_masks_every_reproduction(tmp_path: Path) -> None:
    for number, (text, _shown) in enumerate(LEAKS.values()):
        (tmp_path / f"case-{number}.yaml").write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "pomgate", "check", ".", "--no-cache", "--format", "text", "--color", "never"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert not shows_secret(done.stdout + done.stderr)
    assert done.stdout.count("<redacted>") >= len(LEAKS)


#: Ways a Secret may be written, each with the value on line 3 (0-based line 2) and what stays visible there.
LAYOUTS = {
    "block": ("apiVersion: v1\nkind: Secret\nstringData:\n  a: {v}\n  b: [\n", 3, "  a: <redacted>"),
    "error before the kind": ('stringData:\n  a: "{v}\n\nkind: Secret\n', 1, "  <redacted>: <redacted>"),
    "kubectl JSON, broken in data": (
        '{{"apiVersion": "v1", "data": {{"a": "{v}", "b": "x" "y"}}, "kind": "Secret"}}\n',
        0,
        '"data": {<redacted>: <redacted>',
    ),
    "List item broken before its kind": (
        '{{"kind": "List", "items": [{{"data": {{"a": "{v}" "y"}}, "kind": "Secret"}}]}}\n',
        0,
        '"data": {<redacted>: <redacted>',
    ),
    "kind through an alias": ("x: &k Secret\nkind: *k\nstringData: {{a: {v}}}\n", 2, "stringData: {a: <redacted>}"),
    "kind through a merge": (
        "- &base {{kind: Secret}}\n- {{<<: *base, stringData: {{a: {v}}}}}\n",
        1,
        "stringData: {a: <redacted>}}",
    ),
    "kind as !!binary": ("kind: !!binary U2VjcmV0\nstringData: {{a: {v}}}\n", 1, "stringData: {a: <redacted>}"),
    "kind with an escape": ('{{"kind": "S\\u0065cret",\n "stringData": {{"a": "{v}"}}}}\n', 1, '"a": <redacted>'),
    "block scalar": ("kind: Secret\nstringData:\n  a: |\n    {v}\n", 3, "    <redacted>"),
    "multi-line flow scalar": (
        'kind: Secret\nstringData: {{a: "x\n  {v}", b: y}}\n',
        2,
        "  <redacted>, b: <redacted>}",
    ),
    "value aliased from a ConfigMap": (
        "kind: List\nitems:\n- {{kind: ConfigMap, data: {{a: &v {v}}}}}\n- {{kind: Secret, stringData: {{b: *v}}}}\n",
        2,
        "- {kind: ConfigMap, data: {a: <redacted>}}",
    ),
    "two kinds, one a Secret": ("kind: Secret\nkind: ConfigMap\ndata: {{a: {v}}}\n", 2, "data: {a: <redacted>}"),
    "SealedSecret": ("kind: SealedSecret\nspec:\n  encryptedData: {{a: {v}}}\n", 2, "  encryptedData: {a: <redacted>}"),
    "last-applied annotation": (
        'kind: Secret\nmetadata:\n  annotations: {{last-applied: \'{{"data": "{v}"}}\'}}\n',
        2,
        "  annotations: {<redacted>: <redacted>}",
    ),
    "kindless data (a patch)": ("metadata: {{name: s}}\ndata:\n  a: {v}\n", 2, "  a: <redacted>"),
    "control character in the document": ("kind: Secret\nstringData:\n  a: {v}\x07\n---\nx: 1\n", 2, "<redacted>"),
    "CRLF line breaks": ("kind: Secret\r\nstringData:\r\n  a: {v}\r\n  b: [\r\n", 2, "  a: <redacted>"),
    "commented-out value": ("kind: Secret\nstringData:\n  a: x  # was {v}\n", 2, "  a: <redacted>  #<redacted>"),
    "a value that lost its key": ("kind: Secret\ndata: {{a: , {v}}}\n", 1, "data: {<redacted>: , <redacted>}"),
    "stringData outside a Secret": ("kind: ConfigMap\nstringData: {{a: {v}}}\n", 1, "stringData: {a: <redacted>}"),
    "List item without a kind": (
        "kind: List\nitems:\n- {{kind: Secret, metadata: {{name: s}}}}\n- {{db-url: {v}}}\n",
        3,
        "- {<redacted>: <redacted>}",
    ),
    "rest of a Secret cut loose by ---": (
        'kind: Secret\nstringData:\n  a: "x\n---\nb: {v}\n',
        4,
        "<redacted>: <redacted>",
    ),
    "kind continued by the next line": ("kind: Secret\n - data: {{a: {v}}}\n", 1, "<redacted>"),
    "Secret manifest inside a ConfigMap's string": (
        "kind: ConfigMap\ndata:\n  app.yaml: |\n    kind: Secret\n    stringData: {{a: {v}}}\n",
        4,
        "    <redacted>",
    ),
    "env var with a token name": (
        "kind: Deployment\nspec:\n  env: [{{name: API_TOKEN, value: {v}}}, {{name: MODE, value: fast}}]\n",
        2,
        "[{name: API_TOKEN, value: <redacted>}, {name: MODE, value: fast}]",
    ),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_excerpts_mask_secret_data_by_parsed_kind(layout: str) -> None:
    template, line, shown = LAYOUTS[layout]
    lines = SourceLines({"f.yaml": template.format(v=VALUE)})
    excerpt = lines.excerpt("f.yaml", line + 1)
    assert excerpt is not None
    assert VALUE not in excerpt
    assert shown in excerpt


def test_what_is_not_secret_data_stays_readable() -> None:
    text = (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: hdrs, namespace: apps}\ntype: Opaque\n"
        "stringData: {X-Api-Key: " + VALUE + "}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {mode: fast}\n---\n"
        "kind: Ingress\nmetadata:\n  annotations:\n    ingress.pomerium.io/set_request_headers_secret: hdrs\n"
        "    ingress.pomerium.io/bearer_token_format: idp_access_token\n  x: shown ]\n"
    )
    lines = SourceLines({"f.yaml": text})
    quoted = [lines.excerpt("f.yaml", number) for number in range(1, 18)]
    assert quoted[2:5] == [
        "metadata: {name: hdrs, namespace: apps}",
        "type: Opaque",
        "stringData: {X-Api-Key: <redacted>}",
    ]
    assert quoted[9] == "data: {mode: fast}"
    assert quoted[14:17] == [
        "    ingress.pomerium.io/set_request_headers_secret: hdrs",
        "    ingress.pomerium.io/bearer_token_format: idp_access_token",
        "  x: shown ]",  # a syntax error in an Ingress: the text after it stays visible
    ]


def test_excerpts_of_a_file_of_many_broken_documents_take_linear_time() -> None:
    import time

    text = "---\nkind: Secret\nstringData: {a: " + VALUE + "\n" + "---\na: [\n" * 100_000
    started = time.perf_counter()
    lines = SourceLines({"f.yaml": text})
    assert lines.excerpt("f.yaml", 3) == "stringData: {a: <redacted>"
    assert lines.excerpt("f.yaml", 200_003) == "<redacted>: ["  # kind unknown: even its key
    assert time.perf_counter() - started < 8


@pytest.mark.parametrize(
    ("key", "sensitive"),
    [
        ("X-Api-Key", True),
        ("Authorization", True),
        ("Proxy-Authorization", True),
        ("X-Auth-Token", True),
        ("x-api-key", True),
        ("client_secret", True),
        ("cookie_secret", True),
        ("ingress.pomerium.io/idp_client_secret", True),
        ("Cookie", True),
        ("password", True),
        ("secretName", False),
        ("ingress.pomerium.io/set_request_headers_secret", False),
        ("ingress.pomerium.io/bearer_token_format", False),
        ("idp_access_token_allowed_audiences", False),
        ("host", False),
        ("X-Request-Id", False),
    ],
)
def test_sensitive_keys_include_hyphenated_header_names(key: str, sensitive: bool) -> None:
    assert is_sensitive_key(key) is sensitive


def test_inline_pairs_and_redaction() -> None:
    assert (
        mask_inline_pairs('a: \'{"X-Api-Key": "k1", "X-Trace": "t"}\'')
        == 'a: \'{"X-Api-Key": <redacted>, "X-Trace": "t"}\''
    )
    assert mask_inline_pairs("url: https://x.example.com/?token=abc") == "url: https://x.example.com/?token=<redacted>"
    assert mask_inline_pairs("host: token.example.com") == "host: token.example.com"
    assert redact_line("  a: xy, b: z", [(5, 7), (6, 8), (12, None)]) == "  a: <redacted> b: <redacted>"
    assert redact_line("    continued", [(-1, None)]) == "    <redacted>"


# -- property: any Secret, any layout, any syntax error ------------------------------------------------

_values = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", min_size=6, max_size=20).map(
    lambda text: "zq" + text
)
_keys = st.sampled_from(["a", "X-Api-Key", "Authorization", "tls.key", "token", "db-url"])
_junk = st.sampled_from(
    [" x", " ]", ' "', "}", " {", ": :", " - ", "\t", "'", " &", " *nowhere", " !!int x", "#", " #", "\n---\n", "\n- "]
)


def _secret_text(style: str, key: str, value: str, field: str, list_wrapped: bool, kind_last: bool) -> str:
    """A Secret in one of several styles; its data under ``field`` (data values base64-encoded)."""
    shown = base64.b64encode(value.encode()).decode() if field == "data" else value
    document: dict[str, object] = {"apiVersion": "v1", "metadata": {"name": "s"}, field: {key: shown}}
    document = {**document, "kind": "Secret"} if kind_last else {"kind": "Secret", **document}
    wrapped: dict[str, object] = {"apiVersion": "v1", "kind": "List", "items": [document]} if list_wrapped else document
    if style == "json":
        return json.dumps(wrapped) + "\n"
    if style == "json-pretty":
        return json.dumps(wrapped, indent=2) + "\n"
    import yaml

    return str(yaml.safe_dump(wrapped, sort_keys=False, default_flow_style=style == "flow", width=10_000))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    style=st.sampled_from(["json", "json-pretty", "flow", "block"]),
    key=_keys,
    value=_values,
    field=st.sampled_from(["data", "stringData"]),
    list_wrapped=st.booleans(),
    kind_last=st.booleans(),
    junk=_junk,
    where=st.floats(0, 1),
)
def test_no_layout_or_syntax_error_shows_a_secret_value(
    style: str, key: str, value: str, field: str, list_wrapped: bool, kind_last: bool, junk: str, where: float
) -> None:
    text = _secret_text(style, key, value, field, list_wrapped, kind_last)
    # Break the text anywhere but inside `kind: Secret` itself (that would make it another kind).
    kind_at = text.find("Secret")
    protected = range(text.rfind("kind", 0, kind_at) - 1, kind_at + len("Secret") + 1)
    position = int(where * len(text))
    if position in protected:
        position = protected.stop
    broken = text[:position] + junk + text[position:]
    report = text_report({"f.yaml": broken, "g.yaml": f"{INGRESS}\n"})  # g.yaml: findings with quoted lines too
    encoded = base64.b64encode(value.encode()).decode()
    for form in (value, encoded, encoded.rstrip("=")):
        assert form not in report, broken
