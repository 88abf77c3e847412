"""Property: whatever a manifest holds, `check` answers in every format without a traceback."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pomgate.cli.app import app
from pomgate.pipeline import analyze_objects
from pomgate.reports.check_output import FORMATS, write_check
from pomgate.scanning.scan import scan_text
from pomgate.translation.options import TranslateOptions

BASE_LINES = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app
  namespace: team
  labels: {tier: web}
  annotations:
    cert-manager.io/issuer: le
    ingress.pomerium.io/policy: |
      - allow:
          or:
            - email:
                is: a@example.com
    ingress.pomerium.io/set_request_headers: '{"X-A": "1"}'
    ingress.pomerium.io/set_request_headers_secret: hdrs
    ingress.pomerium.io/kubernetes_service_account_token: eyJhbGciOi.secret.token
    pomgate.io/ignore: "access/public-route: reason"
spec:
  ingressClassName: pomerium
  tls:
    - hosts: [app.example.com]
      secretName: app-tls
  rules:
    - host: app.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: svc
                port:
                  name: http
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: team}
spec:
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Secret
metadata: {name: hdrs, namespace: team}
stringData:
  X-A: very-secret-value
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: le, namespace: team}
spec:
  acme:
    solvers:
      - http01:
          ingress:
            class: nginx
""".splitlines()

fragments = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "true",
            "~",
            "- ",
            ": ",
            "{",
            "]",
            "&a",
            "*a",
            "!!binary",
            "\t",
            "'",
            '"',
            "|",
            ">-",
            "---",
            "...",
            "%YAML 1.1",
            "0x1F",
            "^/(admin|superuser)/.*$",
            "ImplementationSpecific",
            "number: 70000",
            "\u00e9\u4e2d",
            "#",
        ]
    ),
)
edits = st.lists(
    st.tuples(
        st.integers(0, len(BASE_LINES) - 1), st.sampled_from(["replace", "insert", "delete", "append"]), fragments
    ),
    max_size=5,
)


def mutate(changes: list[tuple[int, str, str]]) -> str:
    lines = list(BASE_LINES)
    for index, action, text in changes:
        index = min(index, len(lines) - 1) if lines else 0
        if action == "replace" and lines:
            lines[index] = text
        elif action == "insert":
            lines.insert(index, text)
        elif action == "delete" and lines:
            del lines[index]
        elif lines:
            lines[index] += text
    return "\n".join(lines) + "\n"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=edits)
def test_mutated_manifests_render_in_every_format(changes: list[tuple[int, str, str]]) -> None:
    text = mutate(changes)
    objects, findings = scan_text(text, "fuzz.yaml", "default")
    analysis = analyze_objects(
        objects, TranslateOptions(), scan_findings=findings, files=["fuzz.yaml"], sources={"fuzz.yaml": text}
    )
    for output_format in FORMATS:
        out = io.StringIO()
        write_check(analysis, output_format, out, color=output_format == "text")
        printed = out.getvalue()
        assert printed or output_format == "github"
        if "kind: Secret" in text or "stringData:" in text:
            # (a mutation that deletes both leaves a line that no longer belongs to any Secret)
            assert "very-secret-value" not in printed
        assert "eyJhbGciOi.secret.token" not in printed


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=200))
def test_cli_never_shows_a_traceback_for_any_bytes(data: bytes) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["check", "-"], input=data)
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
