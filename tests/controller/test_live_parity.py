"""Live-parity gaps of issue 17, each against upstream's behaviour (tests that failed before the fix)."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from pomgate.controller.output import write_atomically
from pomgate.controller.reconciler import Reconciler
from pomgate.translation.options import TranslateOptions
from tests.controller.conftest import PROJECT, ControllerProcess, wait_until
from tests.controller.objects import endpoints, ingress, ingress_class, key_pair, service, tls_secret
from tests.standin import StandInApiServer

Start = Callable[..., ControllerProcess]
LIVE = TranslateOptions(assumed_ingress_class=None, live=True)


def feed(reconciler: Reconciler, *objects: dict[str, Any]) -> None:
    for obj in objects:
        reconciler.state.apply(obj["kind"], "ADDED", obj)


def events(api: StandInApiServer, name: str) -> list[tuple[str, str, str]]:
    return [
        (e["type"], e["reason"], e["message"])
        for e in api.list("v1", "Event", "default")
        if e["involvedObject"]["name"] == name
    ]


def certificates(reconciler: Reconciler) -> list[bytes]:
    document = yaml.safe_load(reconciler.document())
    return [base64.b64decode(item["cert"]) for item in document.get("certificates") or []]


def test_certificates_are_pruned_by_san_and_cn_only_ones_are_dropped() -> None:
    reconciler = Reconciler(LIVE)
    feed(reconciler, ingress_class(), service("web"), endpoints("web"))
    for index, secret in enumerate(("matching", "elsewhere", "cn-only")):
        feed(reconciler, ingress(f"i{index}", "web.example.com", "web", tls=secret, uid=f"u{index}"))
    feed(  # Secrets after the Ingresses that refer to them (others' Secrets are kept without data)
        reconciler,
        tls_secret("matching", dns_names=("web.example.com",)),
        tls_secret("elsewhere", dns_names=("other.example.org",)),
        tls_secret("cn-only", dns_names=()),
    )
    reports = reconciler.full_sync()
    assert {r.state for r in reports} == {"updated"}
    assert certificates(reconciler) == [key_pair(("web.example.com",))[0]]
    assert reconciler.config_certificates() == [key_pair(("web.example.com",))]


def test_the_latest_expiring_certificate_wins_a_name() -> None:
    reconciler = Reconciler(LIVE)
    short, long = tls_secret("short", days=30), tls_secret("long", days=300)
    feed(reconciler, ingress_class(), service("web"), endpoints("web"))
    feed(
        reconciler, ingress("a", "a.example.com", "web", tls="short"), ingress("b", "b.example.com", "web", tls="long")
    )
    feed(reconciler, short, long)
    reconciler.full_sync()
    assert certificates(reconciler) == [key_pair(("*.example.com",), 300)[0]]


def test_the_config_file_keeps_the_mode_an_operator_gave_it(tmp_path: Path) -> None:
    target = tmp_path / "config.yaml"
    write_atomically(target, b"routes: []\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # a new file: the config holds Secret values
    os.chmod(target, 0o644)
    write_atomically(target, b"routes: [] # 2\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_a_service_with_only_an_endpointslice_fails_as_upstream(
    apiserver: StandInApiServer, start_controller: Start
) -> None:
    endpoint_slice = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": "web-abc", "namespace": "default", "labels": {"kubernetes.io/service-name": "web"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["10.0.0.7"], "conditions": {"ready": True}}],
        "ports": [{"name": "http", "port": 8080}],
    }
    for obj in (ingress_class(), service("web"), endpoint_slice, ingress("web", "web.example.com", "web")):
        apiserver.create(obj)
    controller = start_controller()
    wait_until(lambda: events(apiserver, "web"), what="the event")
    [(kind, reason, message)] = events(apiserver, "web")
    assert (kind, reason) == ("Warning", "UpdateError")
    assert message.endswith('failed to get service information: endpoints "web" not found')
    assert b"10.0.0.7" not in (controller.config() or b"")


def test_a_missing_status_service_is_an_update_error_until_it_appears(
    apiserver: StandInApiServer, start_controller: Start
) -> None:
    for obj in (ingress_class(), service("web"), endpoints("web"), ingress("web", "web.example.com", "web")):
        apiserver.create(obj)
    start_controller("--update-status-from-service", "pomerium/pomerium-proxy")
    expected = (
        "Warning",
        "UpdateError",
        'update /status: get pomerium-proxy service pomerium/pomerium-proxy: services "pomerium-proxy" not found',
    )
    wait_until(lambda: expected in events(apiserver, "web"), what="the UpdateError")
    proxy = service("pomerium-proxy", "pomerium", type="LoadBalancer")
    proxy["status"] = {"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}]}}
    apiserver.create(proxy)
    wait_until(
        lambda: (apiserver.get("networking.k8s.io/v1", "Ingress", "default", "web") or {}).get("status"),
        what="the status once the Service exists",
    )
    wait_until(
        lambda: ("Normal", "Updated", "updated pomerium configuration") in events(apiserver, "web"), what="Updated"
    )


def test_upstream_flags_are_known_options(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pomgate", "controller", *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(PROJECT)},
        )

    missing = str(tmp_path / "no-kubeconfig")
    debug = run("--debug", "--config-file", str(tmp_path / "c.yaml"), "--kubeconfig", missing)
    assert debug.returncode == 2 and "cannot read kubeconfig" in debug.stderr  # parsed: it got as far as that
    gateway = run(
        "--gateway-class-controller-name", "x", "--config-file", str(tmp_path / "c.yaml"), "--kubeconfig", missing
    )
    assert "cannot read kubeconfig" in gateway.stderr
    sync = run("--sync-api-url", "https://api", "--config-file", str(tmp_path / "c.yaml"))
    assert sync.returncode == 2 and "not supported by pomgate: --sync-api-url" in sync.stderr
    elected = run("--databroker-service-url", "http://127.0.0.1:1", "--leader-election-id", "x")
    assert elected.returncode == 2 and "kubernetes leader election can be used only with sync API" in elected.stderr
