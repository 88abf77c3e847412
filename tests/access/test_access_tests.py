"""Access tests kept in the repository: read, run by check and explain, compared by diff."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pomgate.access.testfile import parse_access_tests
from pomgate.translation.evaluation import ANONYMOUS
from tests.helpers import ingress, service, simple_rule

P = "ingress.pomerium.io"
DOMAIN_POLICY = {f"{P}/policy": "allow:\n  or:\n    - domain: {is: example.com}\n    - claim/groups: sre\n"}
TESTS = """\
- name: engineers open grafana
  as: alice@example.com
  request: GET https://grafana.example.com/admin
  expect: allow
- as: {email: oncall@contractor.test, groups: [g1], claims: {groups: [sre, dev]}}
  request: https://grafana.example.com/
  expect: allow
- as: anonymous
  request: https://grafana.example.com/
  expect: deny
"""


def pomgate(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pomgate", *args], cwd=cwd, capture_output=True, text=True, env=_env())


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}


def write_repo(root: Path, policy: dict[str, str] = DOMAIN_POLICY, tests: str = TESTS) -> Path:
    (root / "k8s").mkdir(parents=True, exist_ok=True)
    (root / "k8s" / "grafana.yaml").write_text(
        ingress(name="grafana", annotations=policy, rules=simple_rule(host="grafana.example.com")) + "---\n" + service()
    )
    (root / ".pomgate").mkdir(exist_ok=True)
    (root / ".pomgate" / "access.yaml").write_text(tests)
    return root


# ---------------------------------------------------------------- the file


def test_the_file_gives_tests_with_their_lines() -> None:
    tests, problems = parse_access_tests(TESTS)
    assert problems == []
    assert [(t.line, t.method, t.url, t.expect) for t in tests] == [
        (1, "GET", "https://grafana.example.com/admin", "allow"),
        (5, "GET", "https://grafana.example.com/", "allow"),
        (8, "GET", "https://grafana.example.com/", "deny"),
    ]
    assert tests[0].identity.email == "alice@example.com" and tests[0].title == "engineers open grafana"
    assert tests[1].identity.groups == frozenset({"g1"}) and tests[1].identity.claims == {"groups": ("sre", "dev")}
    assert tests[2].identity == ANONYMOUS
    assert tests[0].request.path == "/admin"


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("- as: bob\n  request: https://a.example.com/\n  expect: allow\n", "neither `anonymous` nor an email"),
        ("- as: anonymous\n  request: a.example.com\n  expect: allow\n", "is not an https://"),
        ("- as: anonymous\n  request: https://a.example.com/\n  expect: yes\n", "must be one of allow, deny"),
        ("- as: anonymous\n  request: https://a.example.com/\n", "needs `expect:`"),
        ("- as: anonymous\n  request: https://a.example.com/\n  expect: deny\n  when: now\n", "unknown key 'when'"),
        ("- as: {email: a@b.c, role: x}\n  request: https://a.example.com/\n  expect: deny\n", "unknown key 'role'"),
        ("- as: anonymous\n  request: https://a.example.com/\n  expect: deny\n  from: here\n", "not an IP address"),
        ("- as: !!python/object:os.system anonymous\n  request: https://a.example.com/\n  expect: deny\n", "text"),
        ("- &a {as: anonymous, request: 'https://a.example.com/', expect: deny}\n- *a\n", None),
    ],
)
def test_an_invalid_item_is_a_problem_at_its_line_and_nothing_runs(item: str, message: str | None) -> None:
    text = "- as: anonymous\n  request: https://ok.example.com/\n  expect: deny\n" + item
    tests, problems = parse_access_tests(text)
    if message is None:  # an alias is only read, never expanded into more work than its text
        assert len(tests) == 3 and problems == []
        return
    assert len(tests) == 1
    assert [p.line for p in problems] and problems[0].line >= 4
    assert message in problems[0].message


def test_a_file_that_is_not_a_list_or_not_yaml_is_one_problem() -> None:
    assert parse_access_tests("as: anonymous\n")[1][0].message == "the access-test file must be a list of tests"
    assert "invalid YAML" in parse_access_tests("- [\n")[1][0].message
    assert parse_access_tests("# nothing yet\n") == ([], [])


# ---------------------------------------------------------------- check


def test_check_runs_the_tests_and_reports_a_failure_at_the_test_line(tmp_path: Path) -> None:
    repo = write_repo(tmp_path, tests=TESTS.replace("  expect: deny\n", "  expect: allow\n"))
    done = pomgate(repo, "check", "--format", "json", "k8s")
    assert done.returncode == 1, done.stdout + done.stderr
    findings = [f for f in json.loads(done.stdout)["findings"] if f["rule"].startswith("access/")]
    assert [(f["rule"], f["path"], f["line"], f["severity"]) for f in findings] == [
        ("access/test-failed", ".pomgate/access.yaml", 8, "error")
    ]
    message = findings[0]["message"]
    assert "expects allow, got deny" in message
    assert "route https://grafana.example.com prefix / of Ingress default/grafana" in message
    assert "no allow rule matches" in message


def test_check_passes_when_every_test_holds(tmp_path: Path) -> None:
    repo = write_repo(tmp_path)
    done = pomgate(repo, "check", "--format", "json", "k8s")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not [f for f in json.loads(done.stdout)["findings"] if f["rule"].startswith("access/")]


def test_unknown_inputs_and_unserved_urls_are_unresolved_not_guessed(tmp_path: Path) -> None:
    tests = (
        "- as: alice@example.com\n  request: https://nothing.example.com/\n  expect: allow\n"
        "- as: {email: bob@example.com}\n  request: https://grafana.example.com/\n  expect: allow\n"
        "- as: anonymous\n  request: https://gone.example.com/\n  expect: not-found\n"
    )
    policy = {f"{P}/policy": "allow:\n  and:\n    - domain: {is: example.com}\n    - device: {approved: true}\n"}
    repo = write_repo(tmp_path, policy=policy, tests=tests)
    done = pomgate(repo, "check", "--format", "json", "k8s")
    found = {f["line"]: f for f in json.loads(done.stdout)["findings"] if f["rule"].startswith("access/")}
    assert set(found) == {1, 4}  # the not-found expectation holds
    assert (
        found[1]["rule"] == "access/test-unresolved"
        and "no route serves https://nothing.example.com/" in found[1]["message"]
    )
    assert found[4]["rule"] == "access/test-unresolved" and "depends on the device" in found[4]["message"]


def test_an_ingress_that_fails_translation_is_named_by_the_test(tmp_path: Path) -> None:
    repo = write_repo(tmp_path, policy={f"{P}/policy": "allow:\n  maybe:\n    - accept: true\n"})
    done = pomgate(repo, "check", "--format", "json", "k8s")
    unresolved = [f for f in json.loads(done.stdout)["findings"] if f["rule"] == "access/test-unresolved"]
    assert unresolved and all(
        "Ingress default/grafana would serve this host but fails translation" in f["message"] for f in unresolved
    )


def test_the_configuration_can_move_the_file_and_a_missing_one_is_a_usage_error(tmp_path: Path) -> None:
    repo = write_repo(tmp_path, tests=TESTS.replace("expect: deny", "expect: allow"))
    (repo / ".pomgate" / "access.yaml").rename(repo / "who.yaml")
    (repo / ".pomgate.yaml").write_text("access-tests: who.yaml\n")
    done = pomgate(repo, "check", "--format", "json", "k8s")
    assert [f["path"] for f in json.loads(done.stdout)["findings"] if f["rule"] == "access/test-failed"] == ["who.yaml"]
    (repo / ".pomgate.yaml").write_text("access-tests: missing.yaml\n")
    done = pomgate(repo, "check", "k8s")
    assert done.returncode == 2 and "access-tests: missing.yaml: no such file" in done.stderr


def test_the_access_folder_is_not_read_as_manifests(tmp_path: Path) -> None:
    repo = write_repo(tmp_path)
    done = pomgate(repo, "check", "--format", "json", ".")
    assert done.returncode == 0, done.stdout
    assert not [f for f in json.loads(done.stdout)["findings"] if f["path"] == ".pomgate/access.yaml"]


# ---------------------------------------------------------------- explain


def test_explain_as_a_user_prints_the_decision_and_the_deciding_rule(tmp_path: Path) -> None:
    repo = write_repo(tmp_path)
    done = pomgate(repo, "explain", "https://grafana.example.com/x", "k8s", "--as", "alice@example.com")
    assert done.returncode == 0, done.stderr
    assert "As alice@example.com: ALLOW, by allow rule 1 (or: domain is example.com)" in done.stdout
    assert 'policy: allow if domain is "example.com" or claim groups has "sre"' in done.stdout
    done = pomgate(
        repo, "explain", "https://grafana.example.com/", "k8s", "--as", "x@contractor.test", "--claim", "groups=sre"
    )
    assert "ALLOW, by allow rule 1 (or: claim groups has sre)" in done.stdout, done.stdout
    done = pomgate(repo, "explain", "https://grafana.example.com/", "k8s", "--as", "anonymous", "--format", "json")
    assert json.loads(done.stdout)["decision"] == {
        "as": "anonymous",
        "decision": "deny",
        "deciding": "no allow rule matches",
    }


def test_explain_names_an_ingress_that_would_serve_but_fails(tmp_path: Path) -> None:
    repo = write_repo(tmp_path, policy={f"{P}/policy": "allow:\n  maybe:\n    - accept: true\n"})
    done = pomgate(repo, "explain", "https://grafana.example.com/", "k8s")
    assert done.returncode == 1
    assert "No route serves this host" in done.stdout
    assert "Ingress default/grafana names this host but fails translation" in done.stdout
    assert 'unsupported conditional "maybe"' in done.stdout


def test_explain_takes_tcp_urls_and_prints_lists_as_json(tmp_path: Path) -> None:
    tcp_rule = simple_rule(host="db.example.com", path=None, path_type="ImplementationSpecific", port="number: 5432")
    annotations = {f"{P}/tcp_upstream": "true", f"{P}/allowed_users": '["dba@example.com"]'}
    (tmp_path / "db.yaml").write_text(ingress(name="db", annotations=annotations, rules=tcp_rule) + "---\n" + service())
    done = pomgate(tmp_path, "explain", "tcp+https://db.example.com:5432", ".", "--as", "dba@example.com")
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'Who gets in: allowed_users: ["dba@example.com"]' in done.stdout
    assert "As dba@example.com: ALLOW" in done.stdout
    done = pomgate(tmp_path, "explain", "tcp+https://db.example.com:5432", ".", "--as", "eve@example.com")
    assert "it depends: allow rule 1 (or: user id is dba@example.com) depends on the IdP user id" in done.stdout
    done = pomgate(
        tmp_path, "explain", "tcp+https://db.example.com:5432", ".", "--as", "eve@example.com", "--user", "42"
    )
    assert "As eve@example.com (user id 42): DENY, by no allow rule matches" in done.stdout
    assert pomgate(tmp_path, "explain", "tcp+https://db.example.com", ".").returncode == 2  # no port


# ---------------------------------------------------------------- diff


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_diff_lists_the_tests_a_change_flips_even_when_the_change_deletes_them(tmp_path: Path) -> None:
    repo = write_repo(tmp_path)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "ci@example.com")
    git(repo, "config", "user.name", "CI")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    write_repo(
        repo, policy={f"{P}/allow_public_unauthenticated_access": "true"}, tests=TESTS.rsplit("- as: anonymous", 1)[0]
    )
    done = pomgate(repo, "diff", "--no-cache", "--base", "HEAD", "--format", "json")
    report = json.loads(done.stdout)
    assert [(c["line"], c["before"], c["after"], c["expect"]) for c in report["access_tests"]] == [
        (8, "deny", "allow", "deny")
    ]
    assert [
        (f["rule"], f["line"]) for f in report["findings"]["introduced"] if f["path"] == ".pomgate/access.yaml"
    ] == [("access/test-failed", 8)]
    assert done.returncode == 1
    risk = next(r for r in report["risks"] if r["kind"] == "became_public")
    assert risk["classes"][0]["description"] == "anyone, signed in or not"
    markdown = pomgate(repo, "diff", "--no-cache", "--base", "HEAD", "--format", "markdown").stdout
    assert "#### Access tests whose outcome changes" in markdown and "⛔ deny → ✅ allow" in markdown
    text = pomgate(repo, "diff", "--no-cache", "--base", "HEAD").stdout
    assert "Access tests whose outcome changes" in text


def test_diff_shows_a_policy_change_as_yaml_lines(tmp_path: Path) -> None:
    repo = write_repo(tmp_path, tests="[]\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "ci@example.com")
    git(repo, "config", "user.name", "CI")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    write_repo(repo, policy={f"{P}/policy": DOMAIN_POLICY[f"{P}/policy"].replace("or:", "and:")}, tests="[]\n")
    report = json.loads(pomgate(repo, "diff", "--no-cache", "--base", "HEAD", "--format", "json").stdout)
    assert [r["kind"] for r in report["risks"]] == ["access_narrowed"]
    text = pomgate(repo, "diff", "--no-cache", "--base", "HEAD").stdout
    assert "      -    or:" in text and "      +    and:" in text, text
    assert '{"allow"' not in text  # no JSON blob


def test_the_comment_from_an_untrusted_run_keeps_access_tests_and_classes(tmp_path: Path) -> None:
    from pomgate.diff.markdown import markdown_from_json
    from pomgate.diff.publish import load_diff_json

    repo = write_repo(tmp_path)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "ci@example.com")
    git(repo, "config", "user.name", "CI")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    write_repo(repo, policy={f"{P}/allow_any_authenticated_user": "true"})
    (tmp_path / "diff.json").write_text(
        pomgate(repo, "diff", "--no-cache", "--base", "HEAD", "--format", "json").stdout
    )
    document = load_diff_json(str(tmp_path / "diff.json"))
    widened = next(risk for risk in document["risks"] if risk["kind"] == "access_widened")
    assert widened["classes"][0]["description"] == "any signed-in user"
    assert widened["classes"][0]["witness"]["identity"]["signed_in"] is True
    markdown = markdown_from_json(document)
    assert "➕ access widened" in markdown
