"""`pomgate controller --hosts-config`: the `hosts:` map of a pomgate configuration, enforced live.

An Ingress with a route on a host its namespace may not serve is refused (no routes, not even its
last good ones) with an UpdateError naming the host, the deciding entry and the allowed namespaces;
the other Ingresses are unaffected.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.controller.conftest import PROJECT, ControllerProcess, wait_until
from tests.controller.objects import endpoints, ingress, ingress_class, service
from tests.standin import StandInApiServer

Start = Callable[..., ControllerProcess]
INGRESS_API = "networking.k8s.io/v1"


def froms(controller: ControllerProcess) -> list[str] | None:
    data = controller.config()
    return None if not data else [route["from"] for route in yaml.safe_load(data)["routes"]]


def ingress_events(api: StandInApiServer, name: str, namespace: str) -> list[tuple[str, str]]:
    return [
        (event["reason"], event["message"])
        for event in api.list("v1", "Event", namespace)
        if event["involvedObject"]["kind"] == "Ingress" and event["involvedObject"]["name"] == name
    ]


def move(api: StandInApiServer, namespace: str, name: str, host: str) -> None:
    """Change the host of the Ingress's (only) rule."""
    stored = api.get(INGRESS_API, "Ingress", namespace, name)
    assert stored is not None
    rules: list[dict[str, Any]] = stored["spec"]["rules"]
    api.patch(INGRESS_API, "Ingress", namespace, name, {"spec": {"rules": [{**rules[0], "host": host}]}})


REFUSED = (
    "Ingress team-b/grab serves app.example.com from namespace team-b, but the configuration's hosts: reserves it "
    "for namespace(s) team-a; the Ingress is refused: none of its routes are served"
)


def test_a_namespace_serving_a_host_reserved_for_another_is_refused(
    apiserver: StandInApiServer, start_controller: Start, tmp_path: Path
) -> None:
    apiserver.create(ingress_class())
    for namespace in ("team-a", "team-b"):
        apiserver.create(service("web", namespace))
        apiserver.create(endpoints("web", namespace))
    apiserver.create(ingress("web", "app.example.com", "web", namespace="team-a", uid="uid-a"))
    grab = ingress("grab", "app.example.com", "web", namespace="team-b", uid="uid-b")
    grab["spec"]["rules"][0]["http"]["paths"][0]["path"] = "/admin"  # a path under team-a's host
    apiserver.create(grab)
    hosts_config = tmp_path / "pomgate.yaml"
    hosts_config.write_text("hosts:\n  app.example.com: [team-a]\n")
    controller = start_controller("--hosts-config", str(hosts_config))

    # team-a's route is written, team-b's is not, and team-b is told why.
    wait_until(lambda: froms(controller) == ["https://app.example.com"], what="team-a's route alone")
    wait_until(lambda: ("UpdateError", REFUSED) in ingress_events(apiserver, "grab", "team-b"), what="the refusal")
    wait_until(lambda: ingress_events(apiserver, "web", "team-a"), what="team-a's event")
    assert ingress_events(apiserver, "web", "team-a") == [("Updated", "updated pomerium configuration")]
    [route] = yaml.safe_load(controller.config() or b"")["routes"]
    assert route["to"] == ["http://10.0.0.1:8080"] and route["prefix"] == "/"
    assert "host ownership from" in controller.log() and REFUSED in controller.log()
    assert controller.ready()[0] == 200  # a refused Ingress is the tenant's problem, not the controller's

    # team-b moves to a host of its own: routed, next to team-a's.
    move(apiserver, "team-b", "grab", "grab.example.com")
    wait_until(
        lambda: froms(controller) == ["https://app.example.com", "https://grab.example.com"], what="team-b's route"
    )
    wait_until(
        lambda: ("Updated", "updated pomerium configuration") in ingress_events(apiserver, "grab", "team-b"),
        what="team-b's Updated event",
    )

    # ... and back onto team-a's host: refused again, and its last good route is not kept.
    move(apiserver, "team-b", "grab", "app.example.com")
    wait_until(lambda: froms(controller) == ["https://app.example.com"], what="team-b's route gone")
    assert controller.stop() == 0


def run_controller(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pomgate", "controller", "--config-file", "config.yaml", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


@pytest.mark.parametrize("through_env", [False, True], ids=["flag", "HOSTS_CONFIG"])
def test_an_invalid_hosts_config_is_a_usage_error(tmp_path: Path, through_env: bool) -> None:
    bad = tmp_path / "pomgate.yaml"
    bad.write_text("hosts:\n  app.example.com: team-a\n")

    def refused(path: Path) -> str:
        given = (
            run_controller(env={"HOSTS_CONFIG": str(path)})
            if through_env
            else run_controller("--hosts-config", str(path))
        )
        assert given.returncode == 2, given.stderr
        assert "Traceback" not in given.stderr
        return given.stderr.strip()

    assert refused(bad) == (
        f"pomgate controller: --hosts-config: {bad}: hosts: app.example.com must list the namespaces allowed to "
        "serve it, e.g. [team-a]"
    )
    bad.write_text("hosts: {app.example.com: [team-a]}\nunknown: 1\n")
    assert refused(bad).startswith(f"pomgate controller: --hosts-config: {bad}: unknown setting(s) unknown; known: ")
    bad.write_text("hosts: [\n")
    assert refused(bad).startswith(f"pomgate controller: --hosts-config: {bad}: invalid YAML: ")
    missing = tmp_path / "missing.yaml"
    assert refused(missing).startswith(f"pomgate controller: --hosts-config: {missing}: cannot read configuration: ")
