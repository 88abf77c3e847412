"""Certificates the controller keeps for the whole configuration: one Ingress's certificate for another's host."""

from __future__ import annotations

from pomgate.rules.secret._examples import CERTIFICATE, ITS_KEY, OTHER_KEY
from tests.helpers import analyze, docs, ingress, service, simple_rule


def tls_secret(name: str, key: str) -> str:
    def block(text: str) -> str:
        return "".join(f"    {line}\n" for line in text.splitlines())

    return (
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: default\ntype: kubernetes.io/tls\n"
        f"stringData:\n  tls.crt: |\n{block(CERTIFICATE)}  tls.key: |\n{block(key)}"
    )


TLS = "tls:\n  - hosts: [app.example.com]\n    secretName: app-tls\n"
POLICY = {"ingress.pomerium.io/allowed_domains": '["example.com"]'}


def findings(key: str, *, other_routes_app: bool) -> list[tuple[str, str]]:
    bringer = ingress(name="bringer", annotations=POLICY, rules=simple_rule(host="www.example.com"), extra_spec=TLS)
    other = ingress(
        name="other", annotations=POLICY, rules=simple_rule(host="app.example.com" if other_routes_app else "x.io")
    )
    found = analyze(docs(bringer, other, service(), tls_secret("app-tls", key))).findings
    return [(f.obj.name if f.obj else "", f.rule) for f in found if f.rule == "secret/key-pair-mismatch"]


def test_a_bad_pair_brought_by_one_ingress_for_another_s_host_fails_the_one_that_brought_it() -> None:
    assert findings(OTHER_KEY, other_routes_app=True) == [("bringer", "secret/key-pair-mismatch")]


def test_no_finding_when_the_pair_is_good_or_no_route_uses_its_host() -> None:
    assert findings(ITS_KEY, other_routes_app=True) == []
    assert findings(OTHER_KEY, other_routes_app=False) == []  # dropped silently, as the controller does
