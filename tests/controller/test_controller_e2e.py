"""`pomgate controller` as a real process against the stand-in API server (REST + watch over a socket)."""

from __future__ import annotations

import base64
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.controller.conftest import ControllerProcess, http_get, wait_until
from tests.controller.objects import endpoints, ingress, ingress_class, key_pair, service, tls_secret
from tests.standin import StandInApiServer

Start = Callable[..., ControllerProcess]
MAYBE_POLICY = "allow:\n  maybe:\n  - email:\n      is: a@example.com\n"


def proxy_service() -> dict[str, Any]:
    svc = service("pomerium-proxy", "pomerium", type="LoadBalancer")
    svc["status"] = {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}}
    return svc


def seed(api: StandInApiServer, *objects: dict[str, Any]) -> None:
    for obj in objects:
        api.create(obj)


def hosts(controller: ControllerProcess) -> list[str]:
    data = controller.config()
    if not data:
        return []
    return [route["from"] for route in yaml.safe_load(data)["routes"]]


def events(api: StandInApiServer, name: str, namespace: str = "default") -> list[tuple[str, str, str]]:
    return [
        (e["type"], e["reason"], e["message"])
        for e in api.list("v1", "Event", namespace)
        if e["involvedObject"]["name"] == name and e["involvedObject"]["kind"] == "Ingress"
    ]


def test_create_update_break_and_delete_an_ingress(apiserver: StandInApiServer, start_controller: Start) -> None:
    seed(apiserver, ingress_class(), proxy_service(), service("web"), endpoints("web"))
    apiserver.create(ingress("web", "web.example.com", "web"))
    controller = start_controller("--update-status-from-service", "pomerium/pomerium-proxy")

    wait_until(lambda: hosts(controller) == ["https://web.example.com"], what="the first route")
    assert wait_until(lambda: controller.ready()[0] == 200, what="readiness")
    assert controller.ready()[1].startswith("ok (leader)")
    assert http_get(f"http://127.0.0.1:{controller.health}/healthz") == (200, "ok\n")
    wait_until(
        lambda: ("Normal", "Updated", "updated pomerium configuration") in events(apiserver, "web"),
        what="the Updated event",
    )
    status = wait_until(
        lambda: (apiserver.get("networking.k8s.io/v1", "Ingress", "default", "web") or {}).get("status"),
        what="the Ingress status",
    )
    assert status == {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}}

    changed = ingress("web", "www.example.com", "web")
    stored = apiserver.get("networking.k8s.io/v1", "Ingress", "default", "web")
    assert stored is not None
    changed["metadata"]["resourceVersion"] = stored["metadata"]["resourceVersion"]
    apiserver.replace(changed)
    wait_until(lambda: hosts(controller) == ["https://www.example.com"], what="the updated host")

    apiserver.patch(
        "networking.k8s.io/v1",
        "Ingress",
        "default",
        "web",
        {"metadata": {"annotations": {"ingress.pomerium.io/policy": MAYBE_POLICY}}},
    )
    warning = wait_until(
        lambda: [e for e in events(apiserver, "web") if e[1] == "UpdateError"], what="the UpdateError event"
    )
    message = warning[0][2]
    assert message.startswith(
        "upsert routes: parsing ingress: annotations: applying policy annotations: parsing policy: "
        "invalid rules in policy: "
    ), message
    assert 'unsupported conditional "maybe"' in message
    assert hosts(controller) == ["https://www.example.com"]  # last known good stays

    apiserver.delete("networking.k8s.io/v1", "Ingress", "default", "web")
    wait_until(lambda: hosts(controller) == [], what="the routes to go")
    assert yaml.safe_load(controller.config() or b"") == {"routes": []}
    assert controller.metric("pomgate_reconciles_total") is not None
    assert controller.metric("pomgate_last_successful_write_timestamp_seconds")


def test_missing_references_fail_one_ingress_and_creating_them_retries(
    apiserver: StandInApiServer, start_controller: Start
) -> None:
    seed(apiserver, ingress_class(), service("ok"), endpoints("ok"))
    apiserver.create(ingress("ok", "ok.example.com", "ok"))
    apiserver.create(ingress("tls", "tls.example.com", "ok", tls="tls-cert", uid="uid-2"))
    apiserver.create(ingress("nosvc", "nosvc.example.com", "absent", uid="uid-3"))
    controller = start_controller()
    wait_until(lambda: hosts(controller) == ["https://ok.example.com"], what="the valid Ingress's route")
    wait_until(lambda: events(apiserver, "tls"), what="an event on the TLS Ingress")
    assert events(apiserver, "tls")[0][:2] == ("Warning", "UpdateError")
    assert events(apiserver, "tls")[0][2] == 'tls: get secret default/tls-cert: secrets "tls-cert" not found'
    wait_until(lambda: events(apiserver, "nosvc"), what="an event on the Ingress without Service")
    assert 'services "absent" not found' in events(apiserver, "nosvc")[0][2]

    apiserver.create(tls_secret("tls-cert"))
    wait_until(
        lambda: hosts(controller) == ["https://ok.example.com", "https://tls.example.com"],
        what="the retried Ingress",
    )
    document = yaml.safe_load(controller.config() or b"")
    assert base64.b64decode(document["certificates"][0]["key"]) == key_pair()[1]
    seed(apiserver, service("absent"), endpoints("absent"))
    wait_until(lambda: len(hosts(controller)) == 3, what="the Ingress whose Service appeared")


def test_users_objects_are_never_written_except_ingress_status_and_events(
    apiserver: StandInApiServer, start_controller: Start
) -> None:
    seed(apiserver, ingress_class(), proxy_service(), service("web"), endpoints("web"))
    apiserver.create(ingress("web", "web.example.com", "web"))
    controller = start_controller("--update-status-from-service", "pomerium/pomerium-proxy")
    wait_until(lambda: hosts(controller), what="routes")
    wait_until(lambda: events(apiserver, "web"), what="an event")
    wait_until(
        lambda: (apiserver.get("networking.k8s.io/v1", "Ingress", "default", "web") or {}).get("status"),
        what="status",
    )
    writes = [(method, path) for method, path, _query in apiserver.requests if method not in ("GET",)]
    allowed = ("/events", "/leases", "/ingresses/web/status")
    assert writes, "the controller wrote nothing at all"
    assert all(path.endswith(allowed) or "/events/" in path or "/leases/" in path for _m, path in writes), writes
    live = apiserver.get("networking.k8s.io/v1", "Ingress", "default", "web")
    assert live is not None
    meta = live["metadata"]
    assert meta["annotations"] == {"ingress.pomerium.io/allow_any_authenticated_user": "true"}
    assert "finalizers" not in meta and "labels" not in meta


def test_no_config_is_written_before_every_kind_was_listed(
    apiserver: StandInApiServer, start_controller: Start
) -> None:
    seed(apiserver, ingress_class(), service("web"), endpoints("web"), tls_secret("web-tls"))
    apiserver.create(ingress("web", "web.example.com", "web", tls="web-tls"))
    apiserver.inject_fault(method="GET", path_regex=r"^/api/v1/secrets$", delay=2.0, times=1)
    controller = start_controller()
    time.sleep(1.2)
    assert controller.config() is None, "wrote a config before the Secrets were listed"
    assert controller.ready()[0] == 503
    wait_until(lambda: hosts(controller) == ["https://web.example.com"], what="the config after the slow list")


def test_restart_of_the_controller_keeps_the_config_whole(
    apiserver: StandInApiServer, start_controller: Start, tmp_path: Path
) -> None:
    seed(apiserver, ingress_class(), service("web"), endpoints("web"))
    apiserver.create(ingress("web", "web.example.com", "web"))
    target = tmp_path / "routes.yaml"
    first = start_controller(config_file=target, name="first")
    wait_until(lambda: hosts(first), what="routes")
    written = target.read_bytes()
    mtime = target.stat().st_mtime_ns
    assert first.stop() == 0  # SIGTERM: a clean exit
    assert "lease pomerium/pomgate-ingress-controller: released" in first.log()
    second = start_controller(config_file=target, name="second")
    wait_until(lambda: second.ready()[0] == 200, what="the restarted controller")
    time.sleep(0.3)
    assert target.read_bytes() == written
    assert target.stat().st_mtime_ns == mtime  # the same config is not written again


def test_api_server_restart_and_expired_watches_lose_nothing(
    apiserver: StandInApiServer, start_controller: Start
) -> None:
    seed(apiserver, ingress_class(), service("web"), endpoints("web"))
    apiserver.create(ingress("one", "one.example.com", "web"))
    apiserver.create(ingress("two", "two.example.com", "web", uid="uid-2"))
    controller = start_controller()
    wait_until(lambda: len(hosts(controller)) == 2, what="two routes")

    apiserver.stop()  # the API server dies mid-watch
    apiserver.delete("networking.k8s.io/v1", "Ingress", "default", "one")  # changes while it is away (etcd)
    apiserver.create(ingress("three", "three.example.com", "web", uid="uid-3"))
    apiserver.compact_history()  # and the controller's resourceVersion is too old afterwards: 410 Gone
    time.sleep(0.5)
    assert len(hosts(controller)) == 2  # nothing written while the API is away
    apiserver.start()
    wait_until(
        lambda: hosts(controller) == ["https://three.example.com", "https://two.example.com"],
        timeout=20,
        what="convergence after the restart",
    )
    assert (controller.metric("pomgate_watch_restarts_total") or 0) >= 1

    apiserver.drop_watches()  # connections drop, the server stays
    apiserver.create(ingress("four", "four.example.com", "web", uid="uid-4"))
    wait_until(lambda: len(hosts(controller)) == 3, what="the route created around a dropped watch")


def test_two_replicas_one_writer_and_failover(
    apiserver: StandInApiServer, start_controller: Start, tmp_path: Path
) -> None:
    seed(apiserver, ingress_class(), service("web"), endpoints("web"))
    apiserver.create(ingress("web", "web.example.com", "web"))
    one = start_controller(name="one")
    two = start_controller(name="two")
    wait_until(lambda: one.ready()[0] == 200 and two.ready()[0] == 200, what="both replicas synced")
    wait_until(
        lambda: (one.metric("pomgate_leader") or 0) + (two.metric("pomgate_leader") or 0) == 1, what="one leader"
    )
    leader, standby = (one, two) if one.metric("pomgate_leader") == 1 else (two, one)
    wait_until(lambda: hosts(leader), what="the leader's config")
    assert standby.config() is None and standby.ready()[1].startswith("ok (standby)")
    lease = apiserver.get("coordination.k8s.io/v1", "Lease", "pomerium", "pomgate-ingress-controller")
    assert lease is not None and lease["spec"]["holderIdentity"].startswith("replica-")

    leader.stop(signal.SIGKILL)  # no release: the standby waits out the lease duration
    wait_until(lambda: standby.metric("pomgate_leader") == 1, timeout=20, what="the standby to take over")
    wait_until(lambda: hosts(standby) == ["https://web.example.com"], what="the new leader's config")
    lease = apiserver.get("coordination.k8s.io/v1", "Lease", "pomerium", "pomgate-ingress-controller")
    assert lease is not None and lease["spec"]["leaseTransitions"] == 1

    third = start_controller(name="three")
    standby.stop()  # releases the Lease: the takeover of a released Lease is a transition too (client-go)
    wait_until(lambda: third.metric("pomgate_leader") == 1, timeout=20, what="the third replica to take over")
    lease = apiserver.get("coordination.k8s.io/v1", "Lease", "pomerium", "pomgate-ingress-controller")
    assert lease is not None and lease["spec"]["leaseTransitions"] == 2


def test_config_secret_output_and_databroker_flags(
    apiserver: StandInApiServer, start_controller: Start, tmp_path: Path
) -> None:
    seed(apiserver, ingress_class(), service("web"), endpoints("web"))
    apiserver.create(ingress("web", "web.example.com", "web"))
    start_controller("--config-secret", "pomerium/pomerium-routes")
    secret = wait_until(lambda: apiserver.get("v1", "Secret", "pomerium", "pomerium-routes"), what="the output Secret")
    document = yaml.safe_load(base64.b64decode(secret["data"]["config.yaml"]))
    assert [r["from"] for r in document["routes"]] == ["https://web.example.com"]

    refused = subprocess.run(
        [sys.executable, "-m", "pomgate", "controller", "--config-file", str(tmp_path / "x"), "--pomerium-config", "g"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert refused.returncode == 2
    assert "not supported by pomgate: --pomerium-config" in refused.stderr


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_describe_shows_the_controller_events(
    apiserver: StandInApiServer, start_controller: Start, tmp_path: Path
) -> None:
    kubeconfig = apiserver.write_kubeconfig(tmp_path / "kubeconfig-kubectl")
    seed(apiserver, ingress_class(), service("web"), endpoints("web"))
    manifest = tmp_path / "broken.yaml"
    manifest.write_text(
        yaml.safe_dump(
            ingress("broken", "broken.example.com", "web", annotations={"ingress.pomerium.io/policy": MAYBE_POLICY})
        )
    )
    kubectl = ["kubectl", "--kubeconfig", str(kubeconfig)]
    subprocess.run([*kubectl, "create", "-f", str(manifest)], check=True, capture_output=True)
    start_controller()
    wait_until(lambda: events(apiserver, "broken"), what="the event")
    described = subprocess.run(
        [*kubectl, "describe", "ingress", "broken", "-n", "default"], capture_output=True, text=True, check=True
    ).stdout
    assert "UpdateError" in described
    assert "pomerium-ingress" in described
    assert 'unsupported conditional "maybe"' in described


def test_repeated_identical_events_bump_the_count(apiserver: StandInApiServer, start_controller: Start) -> None:
    seed(apiserver, ingress_class(), service("web"), endpoints("web"))
    apiserver.create(ingress("web", "web.example.com", "web", annotations={"ingress.pomerium.io/policy": MAYBE_POLICY}))
    start_controller()
    wait_until(lambda: events(apiserver, "web"), what="the first event")
    for label in ("one", "two"):  # labels are part of what is translated: each change reconciles again
        apiserver.patch("networking.k8s.io/v1", "Ingress", "default", "web", {"metadata": {"labels": {"x": label}}})
        time.sleep(0.3)

    def counts() -> list[int]:
        return [e.get("count", 1) for e in apiserver.list("v1", "Event", "default") if e["reason"] == "UpdateError"]

    assert wait_until(lambda: counts() == [3], what="one UpdateError event counted three times")


def test_namespaces_limit_what_is_watched_and_routed(apiserver: StandInApiServer, start_controller: Start) -> None:
    seed(apiserver, ingress_class(), service("web"), endpoints("web"), service("web", "team"), endpoints("web", "team"))
    seed(apiserver, proxy_service())
    apiserver.create(ingress("web", "default.example.com", "web"))
    apiserver.create(ingress("web", "team.example.com", "web", namespace="team", uid="uid-team"))
    controller = start_controller("--namespaces", "team", "--update-status-from-service", "pomerium/pomerium-proxy")
    wait_until(lambda: hosts(controller) == ["https://team.example.com"], what="only the team's route")
    watched = {path for method, path, query in apiserver.requests if method == "GET" and "ingresses" in path}
    assert watched == {"/apis/networking.k8s.io/v1/namespaces/team/ingresses"}
    services = {path for method, path, query in apiserver.requests if method == "GET" and path.endswith("/services")}
    assert services == {"/api/v1/namespaces/team/services", "/api/v1/namespaces/pomerium/services"}
    wait_until(
        lambda: (apiserver.get("networking.k8s.io/v1", "Ingress", "team", "web") or {}).get("status"),
        what="status from the proxy Service outside the managed namespaces",
    )
