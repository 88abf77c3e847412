"""The default text report: grouped by file, source line with a caret, hint, docs, no secrets."""

from __future__ import annotations

import io

from pomgate.pipeline import Analysis, analyze_objects
from pomgate.reports.check_output import write_check
from pomgate.reports.text_output import mask_sensitive
from pomgate.scanning.scan import scan_text
from pomgate.translation.options import TranslateOptions
from tests.helpers import docs, ingress, secret, service, simple_rule

P = "ingress.pomerium.io"


def analyze_files(files: dict[str, str]) -> Analysis:
    objects, findings = [], []
    for path, text in files.items():
        found_objects, found = scan_text(text, path, "default")
        objects.extend(found_objects)
        findings.extend(found)
    return analyze_objects(objects, TranslateOptions(), scan_findings=findings, files=list(files), sources=files)


def text_report(analysis: Analysis, *, color: bool = False) -> str:
    out = io.StringIO()
    write_check(analysis, "text", out, color=color)
    return out.getvalue()


def test_findings_are_grouped_under_their_file_with_the_source_line_and_a_caret() -> None:
    bad = ingress(name="a", annotations={f"{P}/alow_websockets": "true"})
    fine = ingress(
        name="b", annotations={f"{P}/allow_any_authenticated_user": "true"}, rules=simple_rule(host="b.example.com")
    )
    report = text_report(analyze_files({"a.yaml": docs(bad, service()), "b.yaml": fine}))
    lines = report.splitlines()
    assert lines[0] == "a.yaml"
    head = next(line for line in lines if "annotation/unknown" in line)
    message = lines[lines.index(head) - 1]
    assert message.lstrip().startswith("7:5") and "error" in message
    assert f"unknown {P}/alow_websockets" in message and "did you mean" in message
    quoted = lines[lines.index(head) + 1]
    assert quoted.endswith(f'│     {P}/alow_websockets: "true"')
    caret = lines[lines.index(head) + 2]
    assert caret.index("^") == quoted.index(P)
    assert any(line.strip() == f'fix: {P}/allow_websockets: "true"' for line in lines)
    assert any(line.strip() == "see: pomgate rules annotation/unknown" for line in lines)
    assert "docs/rules.md" not in report  # a file the user's repository does not have
    assert "b.yaml" not in report
    assert report.rstrip().splitlines()[-1].startswith("1 error(s)")
    assert "\x1b[" not in report


def test_policy_problem_quotes_the_annotation_and_the_offending_word() -> None:
    text = (
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: a\n  annotations:\n"
        f"    {P}/policy: |\n      allow:\n        maybe:\n          - email: {{is: a@b.c}}\n"
        "spec:\n  ingressClassName: pomerium\n  rules:\n    - host: a.example.com\n      http:\n        paths:\n"
        "          - {path: /, pathType: Prefix, backend: {service: {name: svc, port: {number: 80}}}}\n"
    )
    analysis = analyze_files({"p.yaml": docs(text, service())})
    (finding,) = [f for f in analysis.findings if f.rule == "policy/invalid"]
    assert finding.line == 6  # the annotation, as the controller's event points at it
    assert finding.extra["token_at"] == (8, 9)
    report = text_report(analysis)
    assert "    6 │" in report and "    8 │         maybe:" in report


def test_secret_values_are_never_quoted() -> None:
    token = "eyJhbGciOiJSUzI1NiJ9.payload.signature"
    annotated = ingress(name="a", annotations={f"{P}/kubernetes_service_account_token": token, f"{P}/bogus": "x"})
    header_secret = secret("hdrs", {"X-A": "hunter2"}, secret_type="kubernetes.io/tls")
    analysis = analyze_files({"a.yaml": docs(annotated, service()), "s.yaml": header_secret + "  bad key: [\n"})
    report = text_report(analysis)
    assert token not in report
    assert "hunter2" not in report and "aHVudGVyMg" not in report
    assert "s.yaml" in report  # the YAML error is reported, its line is not quoted


def test_mask_sensitive_keeps_secret_references_and_block_scalars() -> None:
    assert mask_sensitive('    password: "abc"') == "    password: <redacted>"
    assert mask_sensitive("  - client_secret: abc") == "  - client_secret: <redacted>"
    assert mask_sensitive(f"    {P}/set_request_headers_secret: hdrs").endswith("hdrs")
    assert mask_sensitive("    host: token.example.com") == "    host: token.example.com"


def test_color_output_uses_ansi_styles() -> None:
    analysis = analyze_files({"a.yaml": docs(ingress(annotations={f"{P}/bogus": "x"}), service())})
    assert "\x1b[" in text_report(analysis, color=True)


def test_docs_rules_page_is_generated_from_the_catalog_and_has_every_anchor() -> None:
    from pathlib import Path

    from pomgate.findings import docs_anchor
    from pomgate.rules import all_rules
    from pomgate.rules.catalog_docs import rules_markdown

    page = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
    assert page.read_text(encoding="utf-8") == rules_markdown(), "run: pomgate rules --markdown > docs/rules.md"
    for rule_id in all_rules():
        assert f'<a id="{docs_anchor(rule_id).split("#", 1)[1]}"></a>' in page.read_text(encoding="utf-8")


def test_decode_errors_of_a_secret_do_not_show_its_value() -> None:
    text = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\nstringData: hunter2-secret\n"
    analysis = analyze_files({"s.yaml": text})
    (finding,) = [f for f in analysis.findings if f.rule == "k8s/decode"]
    assert "hunter2" not in finding.message and "<redacted>" in finding.message
    for output_format in ("text", "json", "sarif", "github", "junit", "markdown"):
        out = io.StringIO()
        write_check(analysis, output_format, out)
        assert "hunter2" not in out.getvalue()


def test_quoted_lines_follow_yaml_line_breaks_not_pythons() -> None:
    # str.splitlines() also breaks at \x1c-\x1e, \v and \f; YAML (and the reported line numbers) do not.
    # Counting those as breaks once quoted the Secret's value below under the Issuer's finding.
    text = (
        "\x1e\n---\n"  # a control character YAML refuses: that document is skipped, its lines still count
        "apiVersion: v1\nkind: Secret\nmetadata: {name: hdrs}\nstringData:\n  X-A: very-secret-value\n"
        "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: le}\n"  # the `---` went missing
    )
    report = text_report(analyze_files({"f.yaml": text}))
    assert "very-secret-value" not in report
    assert "    8 │ apiVersion: cert-manager.io/v1" in report  # the duplicate key's own line, under its finding
