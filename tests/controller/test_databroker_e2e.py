"""`pomgate controller` writing to (or shadowing) Pomerium's databroker: real processes, both stand-ins."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pomgate.controller import protos
from pomgate.controller.pomerium_config import decode_route
from pomgate.translation.rego import rule_names
from tests.controller.conftest import PROJECT, ControllerProcess, free_port, http_get, wait_until
from tests.controller.objects import endpoints, ingress, ingress_class, service, tls_secret
from tests.databroker_standin import StandInDatabroker
from tests.standin import StandInApiServer

SECRET = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
Start = Callable[..., ControllerProcess]


@pytest.fixture
def broker() -> Iterator[StandInDatabroker]:
    with StandInDatabroker(shared_secret=base64.b64decode(SECRET)) as server:
        yield server


@pytest.fixture
def start_databroker_controller(
    apiserver: StandInApiServer, broker: StandInDatabroker, tmp_path: Path
) -> Iterator[Start]:
    """Start `pomgate controller` with the documented databroker args and SHARED_SECRET in the environment."""
    started: list[ControllerProcess] = []
    kubeconfig = apiserver.write_kubeconfig(tmp_path / "kubeconfig")

    def start(*extra: str, name: str = "a", lease: str = "2") -> ControllerProcess:
        health, metrics = free_port(), free_port()
        log_path = tmp_path / f"controller-{name}.log"
        args = [
            sys.executable,
            "-m",
            "pomgate",
            "controller",
            "--kubeconfig",
            str(kubeconfig),
            "--databroker-service-url",
            broker.url,
            "--health-probe-bind-address",
            f"127.0.0.1:{health}",
            "--metrics-bind-address",
            f"127.0.0.1:{metrics}",
            "--databroker-lease-duration",
            lease,
            *extra,
        ]
        env = {**os.environ, "PYTHONPATH": str(PROJECT), "HOSTNAME": f"replica-{name}", "SHARED_SECRET": SECRET}
        with log_path.open("wb") as log:
            process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
        controller = ControllerProcess(process, tmp_path / "unused", health, metrics, log_path, args)
        started.append(controller)
        return controller

    yield start
    for controller in started:
        controller.stop()


def record_routes(broker: StandInDatabroker) -> list[dict[str, Any]]:
    config = broker.config()
    return [] if config is None else [decode_route(route) for route in config.routes]


def record_hosts(broker: StandInDatabroker) -> list[str]:
    return [route["from"] for route in record_routes(broker)]


def render(objects: list[dict[str, Any]], tmp_path: Path) -> list[dict[str, Any]]:
    manifest = tmp_path / "objects.yaml"
    manifest.write_text(yaml.safe_dump_all(objects))
    done = subprocess.run(
        [sys.executable, "-m", "pomgate", "render", "--format", "json", "--show-secrets", "--no-cache", str(manifest)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
        check=True,
    )
    routes: list[dict[str, Any]] = json.loads(done.stdout)["routes"]
    return routes


def annotated(name: str, host: str) -> dict[str, Any]:
    return ingress(
        name,
        host,
        "web",
        annotations={
            "ingress.pomerium.io/allowed_domains": '["example.com"]',
            "ingress.pomerium.io/set_request_headers": '{"X-Team": "a"}',
            "ingress.pomerium.io/timeout": "30s",
            "ingress.pomerium.io/pass_identity_headers": "false",
        },
        tls="web-tls",
    )


#: A PPL policy in YAML, as operators write it (stored verbatim as `source_ppl`).
POLICY = """allow:
  or:
    - email:
        is: alice@example.com
    - claim/groups: sre
deny:
  and:
    - http_method:
        is: DELETE
"""


def guarded(name: str, host: str) -> dict[str, Any]:
    """An Ingress with a PPL `policy` and an allow-list annotation (both in the route's one sub-policy)."""
    return ingress(
        name,
        host,
        "web",
        annotations={"ingress.pomerium.io/policy": POLICY, "ingress.pomerium.io/allowed_users": '["bob"]'},
        uid=f"uid-{name}",
    )


def test_the_record_holds_what_render_prints_and_follows_the_cluster(
    apiserver: StandInApiServer, broker: StandInDatabroker, start_databroker_controller: Start, tmp_path: Path
) -> None:
    objects = [
        ingress_class(),
        service("web"),
        endpoints("web"),
        tls_secret("web-tls"),
        annotated("web", "web.example.com"),
        guarded("guarded", "guarded.example.com"),
    ]
    for obj in objects:
        apiserver.create(obj)
    controller = start_databroker_controller("--namespaces", "unused,default", "--namespaces", "other")
    both = ["https://guarded.example.com", "https://web.example.com"]
    wait_until(lambda: record_hosts(broker) == both, what="the record")
    rendered = render(objects, tmp_path)
    assert any("policy" in route for route in rendered)
    assert record_routes(broker) == rendered
    config = broker.config()
    [policy] = config.routes[0].policies
    assert policy.source_ppl == POLICY and list(policy.allowed_users) == ["bob"]
    assert policy.rego[0].startswith("package pomerium.policy\n") and {"allow", "deny"} <= set(
        rule_names(policy.rego[0])
    )
    apiserver.delete("networking.k8s.io/v1", "Ingress", "default", "guarded")
    wait_until(lambda: record_hosts(broker) == ["https://web.example.com"], what="the policy route gone")
    config = broker.config()
    assert [c.cert_bytes for c in config.settings.certificates] == [
        base64.b64decode(objects[3]["data"]["tls.crt"])
    ]  # its SAN *.example.com serves web.example.com
    assert config.routes[0].stat_name == "default-web-web-example-com"
    assert config.routes[0].policies[0].allowed_domains == ["example.com"]
    assert broker.calls and all(authenticated for _, authenticated in broker.calls)
    assert wait_until(lambda: controller.ready()[0] == 200, what="readiness with the lease")
    assert http_get(f"http://127.0.0.1:{controller.health}/startupz") == (200, "ok\n")
    assert "watching default, other, unused" in controller.log()  # comma lists and repeats add up

    apiserver.create(service("web", "other"))
    apiserver.create(endpoints("web", "other"))
    apiserver.create(ingress("second", "second.example.com", "web", namespace="other", uid="uid-2"))
    wait_until(lambda: len(record_hosts(broker)) == 2, what="the Ingress of the second --namespaces")
    apiserver.delete("networking.k8s.io/v1", "Ingress", "other", "second")
    wait_until(lambda: record_hosts(broker) == ["https://web.example.com"], what="the deleted Ingress gone")


def test_a_restart_keeps_the_stored_routes_of_an_ingress_whose_dependency_is_missing(
    apiserver: StandInApiServer, broker: StandInDatabroker, start_databroker_controller: Start
) -> None:
    for obj in (ingress_class(), service("web"), endpoints("web"), service("api"), endpoints("api")):
        apiserver.create(obj)
    apiserver.create(ingress("web", "web.example.com", "web"))
    apiserver.create(ingress("api", "api.example.com", "api", uid="uid-api"))
    first = start_databroker_controller()
    wait_until(lambda: len(record_hosts(broker)) == 2, what="both routes")
    first.stop()
    [stored_api] = [
        r.SerializeToString(deterministic=True)
        for r in broker.config().routes
        if getattr(r, "from") == "https://api.example.com"
    ]
    apiserver.delete("v1", "Service", "default", "api")  # the api Ingress cannot be fetched any more
    apiserver.create(ingress("new", "new.example.com", "web", uid="uid-new"))
    second = start_databroker_controller(name="b")
    wait_until(lambda: "https://new.example.com" in record_hosts(broker), what="the new Ingress after the restart")
    assert sorted(record_hosts(broker)) == [
        "https://api.example.com",
        "https://new.example.com",
        "https://web.example.com",
    ]
    assert "kept its routes from the stored config" in second.log()
    kept = [route for route in broker.config().routes if getattr(route, "from") == "https://api.example.com"]
    assert [route.SerializeToString(deterministic=True) for route in kept] == [
        stored_api
    ]  # byte for byte (stat_name included)


def test_two_replicas_one_writer_and_a_takeover(
    apiserver: StandInApiServer, broker: StandInDatabroker, start_databroker_controller: Start
) -> None:
    for obj in (ingress_class(), service("web"), endpoints("web"), ingress("web", "web.example.com", "web")):
        apiserver.create(obj)
    first = start_databroker_controller(name="a")
    wait_until(lambda: record_hosts(broker), what="the first writer")
    second = start_databroker_controller(name="b")
    # Synced (the initial list done), then unready for upstream's reason: the lease is the first's.
    wait_until(
        lambda: second.ready() == (503, "waiting for databroker lease\n") and second.metric("pomgate_leader") == 0,
        what="the standby",
    )
    puts = broker.puts
    broker.put_config(protos.Config())  # someone empties the record: only the leader restores it, on its next change
    apiserver.create(ingress("more", "more.example.com", "web", uid="uid-more"))
    wait_until(lambda: len(record_hosts(broker)) == 2, what="the leader's write")
    assert broker.puts == puts + 1
    first.stop()
    wait_until(lambda: second.metric("pomgate_leader") == 1, timeout=20, what="the takeover")
    apiserver.delete("networking.k8s.io/v1", "Ingress", "default", "more")
    wait_until(lambda: record_hosts(broker) == ["https://web.example.com"], what="the new leader's write")


def test_a_databroker_restart_and_a_lost_lease(
    apiserver: StandInApiServer, broker: StandInDatabroker, start_databroker_controller: Start
) -> None:
    for obj in (ingress_class(), service("web"), endpoints("web"), ingress("web", "web.example.com", "web")):
        apiserver.create(obj)
    controller = start_databroker_controller()
    wait_until(lambda: record_hosts(broker), what="the first write")
    broker.stop()
    apiserver.create(ingress("late", "late.example.com", "web", uid="uid-late"))
    wait_until(lambda: controller.metric("pomgate_errors_total") or 0, what="errors while the databroker is away")
    broker.start()
    wait_until(lambda: len(record_hosts(broker)) == 2, timeout=20, what="the write after the restart")
    broker.lose_lease(duration=60)
    wait_until(lambda: controller.metric("pomgate_leader") == 0, timeout=10, what="the lost lease noticed")
    puts = broker.puts
    apiserver.delete("networking.k8s.io/v1", "Ingress", "default", "late")
    wait_until(lambda: controller.metric("pomgate_reconciles_total") and controller.ready()[0] == 503, what="standby")
    assert broker.puts == puts  # a replica without the lease writes nothing


def test_shadow_mode_reports_a_planted_difference_and_writes_nothing(
    apiserver: StandInApiServer, broker: StandInDatabroker, start_databroker_controller: Start
) -> None:
    for obj in (ingress_class(), service("web"), endpoints("web"), ingress("web", "web.example.com", "web")):
        apiserver.create(obj)
    apiserver.create(guarded("guarded", "guarded.example.com"))
    writer = start_databroker_controller(name="real")
    wait_until(lambda: len(record_hosts(broker)) == 2, what="the real controller's record")
    writer.stop()
    planted = broker.config()
    guarded_route, web_route = planted.routes  # Pomerium's order: by `from`
    assert guarded_route.policies[0].source_ppl == POLICY
    # Another generator's Rego for the same PPL is no difference: policies are compared as PPL.
    guarded_route.policies[0].rego[:] = ["package pomerium.policy\n\ndefault allow := false\n"]
    web_route.to[:] = ["http://10.9.9.9:8080"]
    broker.put_config(planted)
    puts, leases = broker.puts, dict(broker.leases)
    shadow = start_databroker_controller("--shadow", "--shadow-events", "--shadow-interval", "0.5", name="shadow")
    wait_until(lambda: shadow.metric("pomgate_shadow_differences") == 1, what="the difference")
    assert 'to: pomgate ["http://10.0.0.1:8080"], record ["http://10.9.9.9:8080"]' in shadow.log()
    wait_until(
        lambda: any(e["reason"] == "ShadowDifference" for e in apiserver.list("v1", "Event", "default")),
        what="the ShadowDifference event",
    )
    assert broker.puts == puts and broker.leases == leases
    assert shadow.ready()[0] == 200
    fixed = broker.config()
    fixed.routes[1].to[:] = ["http://10.0.0.1:8080"]
    broker.put_config(fixed)
    wait_until(lambda: shadow.metric("pomgate_shadow_differences") == 0, what="no difference")
