"""No output shows a Secret's value: every format of every command, the job summary, the PR comment,
and the controller's logs and events — plaintext and base64 forms alike. `render --show-secrets`
is the one exception, and the test shows it would notice a leak there.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
P = "ingress.pomerium.io"

#: Every secret value in the fixture repository.
VALUES = {
    "header": "hdr-Zq8x4TmW-secret-value",
    "response": "resp-9vKp2L-secret-value",
    "token": "eyJhbGciOiJSUzI1NiJ9.sa-token-Xy7.secret",
    "idp": "idp-client-secret-Rt5nQ",
    "tls_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0-tls-key-secret\n-----END PRIVATE KEY-----\n",
}


def forms(value: str) -> set[str]:
    """The plaintext and base64 forms a leak could take (padded, unpadded, line-wrapped start)."""
    encoded = base64.b64encode(value.encode()).decode()
    found = {value, encoded, encoded.rstrip("=")}
    found |= {line for line in value.splitlines() if len(line) >= 12 and "BEGIN" not in line and "END" not in line}
    return found


FORBIDDEN = {form for value in VALUES.values() for form in forms(value)}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def manifests(header_value: str, host: str = "web.example.com") -> str:
    """A repository's worth: Secrets (data and stringData), Ingresses reading them, one broken."""
    cert = "-----BEGIN CERTIFICATE-----\nnot-a-real-cert\n-----END CERTIFICATE-----\n"
    return f"""apiVersion: v1
kind: Secret
metadata: {{name: headers, namespace: apps}}
stringData:
  X-Api-Key: {header_value}
---
apiVersion: v1
kind: Secret
metadata: {{name: response-headers, namespace: apps}}
data:
  X-Resp: {b64(VALUES["response"])}
---
apiVersion: v1
kind: Secret
metadata: {{name: sa-token, namespace: apps}}
type: kubernetes.io/service-account-token
data:
  token: {b64(VALUES["token"])}
---
apiVersion: v1
kind: Secret
metadata: {{name: idp, namespace: apps}}
data:
  client_id: {b64("idp-client-id")}
  client_secret: {b64(VALUES["idp"])}
---
apiVersion: v1
kind: Secret
metadata: {{name: web-tls, namespace: apps}}
type: kubernetes.io/tls
data:
  tls.crt: {b64(cert)}
  tls.key: {b64(VALUES["tls_key"])}
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: apps}}
spec:
  ports: [{{name: http, port: 80}}]
---
apiVersion: v1
kind: Endpoints
metadata: {{name: web, namespace: apps}}
subsets: [{{addresses: [{{ip: 10.0.0.1}}], ports: [{{name: http, port: 80}}]}}]
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {{name: pomerium}}
spec: {{controller: pomerium.io/ingress-controller}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: apps
  annotations:
    {P}/allowed_domains: '["example.com"]'
    {P}/set_request_headers_secret: headers
    {P}/set_response_headers_secret: response-headers
    {P}/kubernetes_service_account_token_secret: sa-token
    {P}/identity_provider_secret: idp
spec:
  ingressClassName: pomerium
  rules:
  - host: {host}
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: web, port: {{name: http}}}}}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: broken
  namespace: apps
  annotations:
    {P}/set_request_headers_secret: headers
    {P}/policy: "allow:\\n  maybe:\\n  - email:\\n      is: a@example.com\\n"
spec:
  ingressClassName: pomerium
  tls: [{{hosts: [tls.example.com], secretName: web-tls}}]
  rules:
  - host: tls.example.com
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: web, port: {{number: 81}}}}}}}}
"""


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, *, stdout_only: bool = False) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pomgate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT), **(env or {})},
    )
    assert done.returncode in (0, 1), (args, done.stderr[-2000:])
    return done.stdout if stdout_only else done.stdout + done.stderr


def leaks(text: str) -> list[str]:
    return sorted(form for form in FORBIDDEN if form in text)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("secrets-repo")

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    (root / "k8s").mkdir()
    (root / "k8s" / "app.yaml").write_text(manifests("base-" + VALUES["header"]))
    git("add", "-A")
    git("-c", "user.email=a@example.com", "-c", "user.name=a", "commit", "-q", "-m", "base")
    # The pull request rotates a Secret value and moves the Ingress that reads it to another host.
    (root / "k8s" / "app.yaml").write_text(manifests(VALUES["header"], host="www.example.com"))
    git("-c", "user.email=a@example.com", "-c", "user.name=a", "commit", "-q", "-am", "rotate")
    return root


FORBIDDEN |= forms("base-" + VALUES["header"])


@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "github", "junit", "markdown"])
def test_check_formats_never_show_secret_values(repo: Path, output_format: str) -> None:
    out = run(["check", "k8s", "--format", output_format, "--no-cache", "--color", "always"], repo)
    assert "apps/broken" in out or "apps" in out
    assert leaks(out) == []


def broken_one_line_secrets() -> str:
    """Secrets on one line that a syntax error breaks: flow YAML, kubectl's JSON, a List holding one."""
    token, idp = b64(VALUES["token"]), b64(VALUES["idp"])
    return (
        '{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "flow", "namespace": "apps"}, '
        f'"stringData": {{"X-Api-Key": "{VALUES["header"]}"}}}} oops\n---\n'
        f'{{"apiVersion":"v1","data":{{"token":"{token}"}},"kind":"Secret","metadata":{{"name":"json"}}}} oops\n---\n'
        '{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Secret", "metadata": '
        f'{{"name": "listed"}}, "data": {{"client_secret": "{idp}"}}}}]}} oops\n'
    )


@pytest.fixture(scope="module")
def broken_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository whose pull request adds a file of broken one-line Secrets."""
    root = tmp_path_factory.mktemp("broken-secrets-repo")

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.email=a@example.com", "-c", "user.name=a", *args],
            cwd=root,
            check=True,
            capture_output=True,
        )

    git("init", "-q", "-b", "main")
    (root / "k8s").mkdir()
    (root / "k8s" / "app.yaml").write_text(manifests(VALUES["header"]))
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    (root / "k8s" / "broken.yaml").write_text(broken_one_line_secrets())
    git("add", "-A")
    git("commit", "-q", "-m", "broken")
    return root


@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "github", "junit", "markdown"])
def test_broken_one_line_secrets_never_show_values(broken_repo: Path, output_format: str) -> None:
    out = run(["check", "k8s", "--format", output_format, "--no-cache", "--color", "never"], broken_repo)
    assert "yaml-syntax" in out
    assert leaks(out) == []
    if output_format == "text":  # the broken lines are quoted, their values masked
        assert out.count("<redacted>") >= 3


def test_diff_of_broken_one_line_secrets_never_shows_values(broken_repo: Path) -> None:
    diff = ["diff", "--base", "HEAD~1", "--head", "HEAD", "--no-cache"]
    for output_format in ("text", "json", "markdown"):
        assert leaks(run([*diff, "--format", output_format], broken_repo)) == []


@pytest.mark.parametrize("output_format", ["yaml", "json"])
def test_render_redacts_unless_asked(repo: Path, output_format: str) -> None:
    out = run(["render", "k8s", "--format", output_format, "--no-cache"], repo)
    assert "<redacted: Secret apps/headers key X-Api-Key>" in out
    assert leaks(out) == []
    shown = run(["render", "k8s", "--format", output_format, "--no-cache", "--show-secrets"], repo)
    assert VALUES["header"] in shown  # the sweep would see a leak: the exception proves the rule


def test_diff_reports_comment_and_job_summary_never_show_secret_values(repo: Path, tmp_path: Path) -> None:
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    github = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_REPOSITORY": "example/repo",
    }
    diff = ["diff", "--base", "HEAD~1", "--head", "HEAD", "--no-cache"]
    texts = [run([*diff, "--format", output_format], repo) for output_format in ("text", "json", "markdown")]
    texts.append(run(diff, repo, github))
    assert "https://www.example.com" in texts[0]  # the moved route is reported
    document = json.loads(run([*diff, "--format", "json"], repo, stdout_only=True))
    assert "<redacted: Secret apps/headers key X-Api-Key>" in json.dumps(document)  # its header, by reference
    from pomgate.diff.markdown import diff_sections
    from pomgate.diff.publish import TRUNCATION_NOTE
    from pomgate.github.comment import fit_comment

    texts.append(fit_comment(diff_sections(document), note=TRUNCATION_NOTE))  # the sticky comment's body
    texts.append(summary.read_text())
    texts.append(outputs.read_text())
    texts.append(run(["explain", "https://www.example.com/", "k8s"], repo))
    for text in texts:
        assert leaks(text) == []


def test_controller_logs_and_events_never_show_secret_values(tmp_path: Path) -> None:
    import yaml

    from tests.controller.conftest import free_port, http_get, wait_until
    from tests.standin import StandInApiServer

    api = StandInApiServer().start()
    try:
        for document in yaml.safe_load_all(manifests(VALUES["header"])):
            api.create(document)
        kubeconfig = api.write_kubeconfig(tmp_path / "kubeconfig")
        config = tmp_path / "config.yaml"
        log = tmp_path / "controller.log"
        metrics = free_port()
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [
                    sys.executable, "-m", "pomgate", "controller", "--kubeconfig", str(kubeconfig),
                    "--config-file", str(config), "--no-leader-elect", "--log-level", "debug",
                    "--health-probe-bind-address", "0", "--metrics-bind-address", f"127.0.0.1:{metrics}",
                ],
                stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(PROJECT)},
            )  # fmt: skip
        try:
            wait_until(lambda: config.exists() and b"web.example.com" in config.read_bytes(), what="the config")
            wait_until(lambda: len(api.list("v1", "Event", "apps")) >= 2, what="both events")
            assert VALUES["header"] in config.read_text()  # Pomerium's own config holds the value: by design
            page = http_get(f"http://127.0.0.1:{metrics}/metrics")[1]
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)
        events = json.dumps(api.list("v1", "Event", "apps"))
        assert "UpdateError" in events
        for text in (log.read_text(), events, page):
            assert leaks(text) == []
    finally:
        api.stop()
