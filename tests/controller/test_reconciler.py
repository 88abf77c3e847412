"""The controller's pure core: live state, dependency tracking, route table and config document."""

from __future__ import annotations

import base64
import os
import weakref
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pomgate.controller.livestate import Change, LiveState
from pomgate.controller.output import write_atomically
from pomgate.controller.reconciler import HEADER, Reconciler, check_base_config
from pomgate.kube.inventory import build_inventory
from pomgate.reports.routes import routes_config
from pomgate.scanning.manifest import ManifestObject, Origin
from pomgate.translation.dependencies import Dependency
from pomgate.translation.options import TranslateOptions
from pomgate.translation.translator import translate
from tests.controller.objects import endpoints, ingress, ingress_class, key_pair, service, tls_secret

LIVE = TranslateOptions(assumed_ingress_class=None, live=True)


#: The Secrets fed to each reconciler, as the API server would answer a GET.
_CLUSTERS: weakref.WeakKeyDictionary[Reconciler, dict[tuple[str, str], dict[str, Any]]] = weakref.WeakKeyDictionary()


def feed(reconciler: Reconciler, *objects: dict[str, Any], event: str = "ADDED") -> set[tuple[str, str]]:
    """Watch events, and (as the runner does) a GET of each Secret an Ingress starts to refer to."""
    cluster = _CLUSTERS.setdefault(reconciler, {})
    state = reconciler.state
    affected: set[tuple[str, str]] = set()
    for obj in objects:
        meta = obj["metadata"]
        if obj["kind"] == "Secret":
            key = (meta.get("namespace", ""), meta["name"])
            if event == "DELETED":
                cluster.pop(key, None)
            else:
                cluster[key] = obj
        change = state.apply(obj["kind"], event, obj)
        affected |= change.ingresses
        for secret in change.fetch:
            fetched = state.fetched_secret(secret, state.secret_versions[secret], cluster.get(secret))
            affected |= fetched.ingresses
    return affected


def routes_of(document: bytes) -> list[dict[str, Any]]:
    parsed = yaml.safe_load(document)
    assert isinstance(parsed, dict)
    routes = parsed["routes"]
    assert isinstance(routes, list)
    return routes


def test_the_document_holds_exactly_what_the_shared_translator_renders() -> None:
    objects = [
        ingress_class(),
        service("app"),
        endpoints("app"),
        service("api"),
        endpoints("api"),
        ingress("a", "a.example.com", "app"),
        ingress(
            "b",
            "b.example.com",
            "api",
            annotations={"ingress.pomerium.io/policy": "allow:\n  or:\n  - domain:\n      is: example.com\n"},
        ),
    ]
    reconciler = Reconciler(LIVE)
    feed(reconciler, *objects)
    reports = reconciler.full_sync()
    assert [(r.key, r.state) for r in reports] == [(("default", "a"), "updated"), (("default", "b"), "updated")]

    manifests = [
        ManifestObject(
            o["apiVersion"],
            o["kind"],
            o["metadata"]["name"],
            o["metadata"].get("namespace", ""),
            o,
            Origin("cluster", 0, 1),
        )
        for o in objects
    ]
    inventory, _ = build_inventory(manifests)
    offline = routes_config(translate(inventory, LIVE).routes, show_secrets=True)["routes"]
    assert routes_of(reconciler.document()) == offline
    assert len(offline) == 2


def test_a_missing_service_fails_the_ingress_and_creating_it_retries() -> None:
    reconciler = Reconciler(LIVE)
    feed(reconciler, ingress_class(), ingress("web", "web.example.com", "web"))
    [report] = reconciler.full_sync()
    assert report.state == "failed"
    assert report.event_message.startswith("services: rule host=web.example.com path=/ refers to service default/web")
    assert 'services "web" not found' in report.event_message
    assert routes_of(reconciler.document()) == []

    assert feed(reconciler, service("web")) == {("default", "web")}  # the Ingress looked it up, so it retries
    [report] = reconciler.reconcile({("default", "web")})
    assert report.state == "failed" and 'endpoints "web" not found' in report.event_message
    assert feed(reconciler, endpoints("web")) == {("default", "web")}
    [report] = reconciler.reconcile({("default", "web")})
    assert report.state == "updated" and report.event_message == "updated pomerium configuration"
    assert [r["from"] for r in routes_of(reconciler.document())] == ["https://web.example.com"]


def test_a_broken_update_keeps_the_last_good_routes_until_a_full_sync() -> None:
    reconciler = Reconciler(LIVE)
    feed(reconciler, ingress_class(), service("web"), endpoints("web"), ingress("web", "web.example.com", "web"))
    reconciler.full_sync()
    good = routes_of(reconciler.document())
    broken = ingress(
        "web",
        "web.example.com",
        "web",
        annotations={"ingress.pomerium.io/policy": "allow:\n  maybe:\n  - email:\n      is: a@b.c\n"},
    )
    assert feed(reconciler, broken, event="MODIFIED") == {("default", "web")}
    [report] = reconciler.reconcile({("default", "web")})
    assert report.state == "failed"
    assert report.event_message.startswith("upsert routes: parsing ingress: annotations: applying policy annotations: ")
    assert 'unsupported conditional "maybe"' in report.event_message
    assert routes_of(reconciler.document()) == good  # last known good stays in effect
    reconciler.full_sync()  # a restart rebuilds from scratch: the broken Ingress has no routes
    assert routes_of(reconciler.document()) == []


OWNERS = {"app.example.com": ["team-a"], "*.internal.example.com": ["platform"]}


def team_objects(*namespaces: str) -> list[dict[str, Any]]:
    objects = [ingress_class()]
    for namespace in namespaces:
        objects += [service("web", namespace), endpoints("web", namespace), tls_secret("cert", namespace)]
    return objects


def froms(document: bytes) -> list[str]:
    return [route["from"] for route in routes_of(document)]


def test_a_host_its_namespace_may_not_serve_refuses_the_ingress_without_its_last_good_routes() -> None:
    reconciler = Reconciler(LIVE, host_owners=OWNERS)
    feed(reconciler, *team_objects("team-a", "team-b"))
    feed(
        reconciler,
        ingress("web", "app.example.com", "web", namespace="team-a", uid="uid-a"),
        ingress("grab", "b.example.com", "web", namespace="team-b", tls="cert", uid="uid-b"),
    )
    reports = reconciler.full_sync()
    assert [(r.key, r.state) for r in reports] == [(("team-a", "web"), "updated"), (("team-b", "grab"), "updated")]
    assert froms(reconciler.document()) == ["https://app.example.com", "https://b.example.com"]
    assert b"certificates:" in reconciler.document()

    # team-b moves its Ingress onto team-a's host: refused, and its last good route and certificate go too.
    grab = ingress("grab", "app.example.com", "web", namespace="team-b", tls="cert", uid="uid-b")
    grab["spec"]["rules"][0]["http"]["paths"][0]["path"] = "/admin"
    assert feed(reconciler, grab, event="MODIFIED") == {("team-b", "grab")}
    [report] = reconciler.reconcile({("team-b", "grab")})
    assert (report.state, report.refused, report.routes) == ("failed", True, 0)
    assert report.event_message == (
        "Ingress team-b/grab serves app.example.com from namespace team-b, but the configuration's hosts: reserves "
        "it for namespace(s) team-a; the Ingress is refused: none of its routes are served"
    )
    assert froms(reconciler.document()) == ["https://app.example.com"]
    assert b"certificates:" not in reconciler.document()
    assert not reconciler.is_applied(("team-b", "grab")) and reconciler.route_count == 1

    # Without the map the same Ingress is routed: the refusal is the controller's, not the translator's.
    unrestricted = Reconciler(LIVE)
    feed(unrestricted, *team_objects("team-b"), grab)
    assert [r.state for r in unrestricted.full_sync()] == ["updated"]

    # A wildcard entry decides a host under it: the message names the entry.
    inside = ingress("grab", "db.internal.example.com", "web", namespace="team-b", uid="uid-b")
    feed(reconciler, inside, event="MODIFIED")
    [report] = reconciler.reconcile({("team-b", "grab")})
    assert report.refused and "serves db.internal.example.com from namespace team-b" in report.event_message
    assert "reserves it (entry *.internal.example.com) for namespace(s) platform" in report.event_message

    # Back on a host of its own: routed again.
    feed(reconciler, ingress("grab", "grab.example.com", "web", namespace="team-b", uid="uid-b"), event="MODIFIED")
    [report] = reconciler.reconcile({("team-b", "grab")})
    assert (report.state, report.refused, report.routes) == ("updated", False, 1)
    assert froms(reconciler.document()) == ["https://app.example.com", "https://grab.example.com"]


def test_a_refusal_names_each_host_once_and_a_translation_error_still_keeps_the_last_good_routes() -> None:
    reconciler = Reconciler(LIVE, host_owners=OWNERS)
    feed(reconciler, *team_objects("team-b"))
    feed(reconciler, ingress("grab", "grab.example.com", "web", namespace="team-b", uid="uid-b"))
    reconciler.full_sync()
    good = routes_of(reconciler.document())

    # A translation error before any route exists: upstream's rule, last good routes stay.
    broken = ingress(
        "grab",
        "app.example.com",
        "web",
        namespace="team-b",
        annotations={"ingress.pomerium.io/policy": "allow:\n  maybe:\n  - email:\n      is: a@b.c\n"},
    )
    feed(reconciler, broken, event="MODIFIED")
    [report] = reconciler.reconcile({("team-b", "grab")})
    assert (report.state, report.refused) == ("failed", False)
    assert routes_of(reconciler.document()) == good

    # Two forbidden hosts, two paths each, and an allowed one: one sentence per forbidden host, in order.
    several = ingress("grab", "app.example.com", "web", namespace="team-b", uid="uid-b")
    rule = several["spec"]["rules"][0]
    rule["http"]["paths"].append({**rule["http"]["paths"][0], "path": "/two"})
    several["spec"]["rules"] = [
        rule,
        {**rule, "host": "grab.example.com"},
        {**rule, "host": "x.internal.example.com"},
    ]
    feed(reconciler, several, event="MODIFIED")
    [report] = reconciler.reconcile({("team-b", "grab")})
    assert report.refused
    message = report.event_message
    assert message.count("serves app.example.com") == 1 and message.count("serves x.internal.example.com") == 1
    assert message.index("app.example.com") < message.index("x.internal.example.com")
    assert "grab.example.com" not in message
    assert routes_of(reconciler.document()) == []

    # A restart refuses it the same way.
    [report] = reconciler.full_sync()
    assert report.refused and routes_of(reconciler.document()) == []


def test_a_refusal_comes_back_from_an_isolated_translation() -> None:
    """Ingresses that compile regexes are translated in a forked child: the refusal crosses the pipe."""
    from pomgate.controller.isolation import start_isolated

    counts: list[int] = []

    def isolate(work: Any, count: int) -> Any:
        counts.append(count)
        return start_isolated(work, timeout=10)

    reconciler = Reconciler(LIVE, isolate=isolate, host_owners=OWNERS)
    regex = ingress(
        "grab", "app.example.com", "web", namespace="team-b", annotations={"ingress.pomerium.io/path_regex": "true"}
    )
    regex["spec"]["rules"][0]["http"]["paths"][0].update(path="/api/[a-z]+", pathType="ImplementationSpecific")
    feed(reconciler, *team_objects("team-b"), regex)
    [report] = reconciler.full_sync()
    assert counts == [1]
    assert (report.state, report.refused) == ("failed", True)
    assert "reserves it for namespace(s) team-a" in report.event_message
    assert routes_of(reconciler.document()) == []


def test_dependencies_follow_the_ingress_and_only_dependents_are_affected() -> None:
    reconciler = Reconciler(LIVE)
    feed(reconciler, ingress_class(), service("a"), service("b"), endpoints("a"), endpoints("b"))
    feed(reconciler, ingress("one", "one.example.com", "a", tls="one-tls"), ingress("two", "two.example.com", "b"))
    state: LiveState = reconciler.state
    assert state.dependents_of(Dependency("Service", "default", "a")) == {("default", "one")}
    assert state.dependents_of(Dependency("Secret", "default", "one-tls")) == {("default", "one")}
    assert feed(reconciler, tls_secret("one-tls")) == {("default", "one")}
    assert feed(reconciler, service("unrelated")) == set()
    # the Ingress moves to backend b: it no longer depends on a
    feed(reconciler, ingress("one", "one.example.com", "b"), event="MODIFIED")
    assert state.dependents_of(Dependency("Service", "default", "a")) == set()
    assert state.dependents_of(Dependency("Endpoints", "default", "b")) == {("default", "one"), ("default", "two")}
    # deleting a Service re-translates its dependents (which then fail, keeping their last good routes)
    assert feed(reconciler, service("b"), event="DELETED") == {("default", "one"), ("default", "two")}


def test_secret_data_is_kept_only_while_an_ingress_refers_to_it() -> None:
    state = LiveState(LIVE)
    secret = {**tls_secret("web-tls"), "metadata": {"name": "web-tls", "namespace": "default", "resourceVersion": "5"}}
    key, ref = ("default", "web"), ("default", "web-tls")
    for obj in (ingress_class(), service("web"), endpoints("web")):
        state.apply(obj["kind"], "ADDED", obj)
    assert state.apply("Secret", "ADDED", secret).ingresses == set()
    assert ref not in state.inventory.secrets and state.secret_versions[ref] == "5"  # its name and version only

    change = state.apply("Ingress", "ADDED", ingress("web", "web.example.com", "web", tls="web-tls"))
    assert change.ingresses == {key} and change.fetch == {ref}
    assert state.unfetched_secrets(key) == {ref}
    newer = {**secret, "metadata": {**secret["metadata"], "resourceVersion": "6"}}
    assert state.fetched_secret(ref, "4", newer).ingresses == set()  # the Secret changed since: not taken
    assert state.fetched_secret(ref, "5", newer).ingresses == {key}
    assert state.inventory.secrets[ref].model.data is not None and not state.unfetched_secrets(key)
    assert state.fetched_secret(ref, "5", secret).ingresses == set()  # a late answer changes nothing

    state.apply("Ingress", "MODIFIED", ingress("web", "web.example.com", "web"))
    assert ref not in state.inventory.secrets and state.secret_versions[ref] == "6"  # data dropped
    broken = {**secret, "data": {"tls.crt": 7}}  # cannot be typed: absent, and not fetched again and again
    state.apply("Secret", "MODIFIED", broken)
    state.apply("Ingress", "MODIFIED", ingress("web", "web.example.com", "web", tls="web-tls"))
    state.fetched_secret(ref, state.secret_versions[ref], broken)
    assert ref not in state.inventory.secrets and not state.unfetched_secrets(key)
    assert state.apply("Secret", "DELETED", secret).ingresses == {key}
    assert ref not in state.secret_versions


def test_secret_events_that_wait_for_a_translation_wait_without_other_teams_data() -> None:
    state = LiveState(LIVE)
    other = {**tls_secret("blob", "other"), "metadata": {"name": "blob", "namespace": "other", "resourceVersion": "3"}}
    waiting = state.without_data(other)
    assert "data" not in waiting and waiting["metadata"]["resourceVersion"] == "3"
    assert state.apply("Secret", "ADDED", waiting) == Change()
    assert state.secret_versions[("other", "blob")] == "3"
    # An Ingress that came first in the buffer refers to it by the time it is applied: fetched, not empty.
    state.apply("Ingress", "ADDED", ingress("web", "web.example.com", "web", namespace="other", tls="blob"))
    change = state.apply("Secret", "MODIFIED", waiting)
    assert change.ingresses == {("other", "web")} and change.fetch == {("other", "blob")}
    assert ("other", "blob") not in state.inventory.secrets
    assert state.without_data(other) is other  # referenced now: kept whole


def test_a_config_over_a_limit_leaves_out_the_ingresses_that_add_the_most() -> None:
    reconciler = Reconciler(LIVE)
    feed(reconciler, ingress_class(), service("web"), endpoints("web"), tls_secret("shared"))
    for index, size in enumerate((3000, 1000, 5000, 2000)):
        headers = {"ingress.pomerium.io/set_request_headers": '{"X": "' + "x" * size + '"}'}
        feed(reconciler, ingress(f"i{index}", f"i{index}.example.com", "web", annotations=headers, tls="shared"))
    reconciler.full_sync()
    full = reconciler.document()
    document, left_out = reconciler.fit(len(full) - 4000)
    assert [key for key, _size in left_out] == [("default", "i2")]  # 5 KB: enough on its own
    assert len(document) <= len(full) - 4000 and document == reconciler.document({("default", "i2")})
    document, left_out = reconciler.fit(len(full) - 6000)
    assert [key for key, _size in left_out] == [("default", "i2"), ("default", "i0")]  # the largest first
    assert [r["from"] for r in routes_of(document)] == ["https://i1.example.com", "https://i3.example.com"]
    assert yaml.safe_load(document)["certificates"]  # still used by the others
    everything_out, left_out = reconciler.fit(len(HEADER) + 20)
    assert len(left_out) == 4 and routes_of(everything_out) == []
    assert "certificates" not in yaml.safe_load(everything_out)  # its last user is gone with it
    assert reconciler.fit(len(full)) == (full, [])


def test_status_and_resource_version_changes_do_not_retranslate() -> None:
    reconciler = Reconciler(LIVE)
    original = ingress("web", "web.example.com", "web")
    feed(reconciler, ingress_class(), original)
    with_status = {**original, "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}}
    with_status["metadata"] = {**original["metadata"], "resourceVersion": "8"}
    assert feed(reconciler, with_status, event="MODIFIED") == set()
    assert reconciler.state.ingresses[("default", "web")].load_balancer == [{"ip": "1.2.3.4"}]
    assert feed(
        reconciler, {**service("web"), "metadata": {"name": "web", "namespace": "default", "resourceVersion": "2"}}
    ) == {("default", "web")}
    assert (
        feed(
            reconciler,
            {**service("web"), "metadata": {"name": "web", "namespace": "default", "resourceVersion": "3"}},
            event="MODIFIED",
        )
        == set()
    )


def test_ingress_class_changes_affect_every_ingress_and_unmanaged_ones_lose_their_routes() -> None:
    reconciler = Reconciler(LIVE)
    feed(reconciler, ingress_class(), service("web"), endpoints("web"), ingress("web", "web.example.com", "web"))
    reconciler.full_sync()
    assert len(routes_of(reconciler.document())) == 1
    assert feed(reconciler, ingress_class(controller="example.com/other"), event="MODIFIED") == {("default", "web")}
    [report] = reconciler.reconcile({("default", "web")})
    assert report.state == "removed"
    assert (
        report.error
        == "IngressClass pomerium not found or is not assigned to this controller pomerium.io/ingress-controller"
    )
    assert routes_of(reconciler.document()) == []


def test_namespace_limit_and_deletion_remove_routes_without_an_event() -> None:
    options = TranslateOptions(assumed_ingress_class=None, live=True, namespaces=frozenset({"team"}))
    reconciler = Reconciler(options)
    feed(
        reconciler, ingress_class(), service("web"), endpoints("web"), service("web", "team"), endpoints("web", "team")
    )
    feed(reconciler, ingress("web", "a.example.com", "web"), ingress("web", "b.example.com", "web", namespace="team"))
    reports = {r.key: r.state for r in reconciler.full_sync()}
    assert reports == {("default", "web"): "removed", ("team", "web"): "updated"}
    feed(reconciler, ingress("web", "b.example.com", "web", namespace="team"), event="DELETED")
    [report] = reconciler.reconcile({("team", "web")})
    assert report.state == "removed" and routes_of(reconciler.document()) == []


def test_endpoint_slices_stand_in_for_endpoints() -> None:
    reconciler = Reconciler(LIVE)
    feed(reconciler, ingress_class(), service("web"), ingress("web", "web.example.com", "web"))
    reconciler.full_sync()
    slice_ = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": "web-abcde", "namespace": "default", "labels": {"kubernetes.io/service-name": "web"}},
        "endpoints": [{"addresses": ["10.0.0.9"], "conditions": {"ready": True}}],
        "ports": [{"name": "http", "port": 8080}],
    }
    assert feed(reconciler, slice_) == {("default", "web")}
    [report] = reconciler.reconcile({("default", "web")})
    assert report.state == "updated"
    assert feed(reconciler, slice_, event="DELETED") == {("default", "web")}
    assert ("default", "web") not in reconciler.state.inventory.endpoint_slices


def test_tls_secrets_become_certificates_and_base_config_goes_first() -> None:
    base = check_base_config(
        {
            "authenticate_service_url": "https://auth.example.com",
            "routes": [{"from": "https://static.example.com", "to": "http://s"}],
        },
        "base.yaml",
    )
    reconciler = Reconciler(LIVE, base_config=base)
    feed(reconciler, ingress_class(), service("web"), endpoints("web"), tls_secret("web-tls"))
    feed(reconciler, ingress("web", "web.example.com", "web", tls="web-tls"))
    reconciler.full_sync()
    document = yaml.safe_load(reconciler.document())
    assert document["authenticate_service_url"] == "https://auth.example.com"
    assert [r["from"] for r in document["routes"]] == ["https://static.example.com", "https://web.example.com"]
    [cert] = document["certificates"]
    assert base64.b64decode(cert["key"]) == key_pair()[1]
    with pytest.raises(ValueError, match="`routes` must be a list of mappings"):
        check_base_config({"routes": "nope"}, "base.yaml")
    with pytest.raises(ValueError, match="must be a mapping"):
        check_base_config(["x"], "base.yaml")


def test_route_lines_are_json_that_yaml_reads_back_exactly() -> None:
    tricky = {
        "ingress.pomerium.io/set_request_headers": '{"X-Quote": "a \\"b\\" \\\\ c: d # e", "X-Uni": "héllo\\u2028"}'
    }
    reconciler = Reconciler(LIVE)
    feed(
        reconciler,
        ingress_class(),
        service("web"),
        endpoints("web"),
        ingress("web", "web.example.com", "web", annotations=tricky),
    )
    [report] = reconciler.full_sync()
    assert report.state == "updated"
    [route] = routes_of(reconciler.document())
    assert route["set_request_headers"] == {"X-Quote": 'a "b" \\ c: d # e', "X-Uni": "héllo\u2028"}


def test_atomic_write_replaces_whole_files_and_keeps_the_old_one_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "config.yaml"
    write_atomically(target, b"routes: []\n")
    assert target.read_bytes() == b"routes: []\n"
    assert oct(target.stat().st_mode & 0o777) == "0o640"
    blocked = tmp_path / "dir-target"
    blocked.mkdir()
    (blocked / "x").write_text("x")
    with pytest.raises(OSError):
        write_atomically(blocked, b"new")  # cannot rename a file over a non-empty directory
    assert sorted(os.listdir(tmp_path)) == ["config.yaml", "dir-target"]  # no temp file left behind


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d"]),
            st.sampled_from(["x.example.com", "y.example.com", "z.example.org"]),
            st.booleans(),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_incremental_route_order_equals_a_full_rebuild(steps: list[tuple[str, str, bool]]) -> None:
    reconciler = Reconciler(LIVE)
    feed(reconciler, ingress_class(), service("web"), endpoints("web"))
    reconciler.full_sync()
    for name, host, delete in steps:
        obj = ingress(name, host, "web", uid=f"uid-{name}")
        affected = feed(reconciler, obj, event="DELETED" if delete else "MODIFIED")
        reconciler.reconcile(affected)
    rebuilt = Reconciler(LIVE)
    for live in reconciler.state.ingresses.values():
        model = live.typed.model
        feed(rebuilt, ingress(model.metadata.name, model.spec.rules[0].host, "web", uid=live.uid))  # type: ignore[union-attr]
    feed(rebuilt, ingress_class(), service("web"), endpoints("web"))
    rebuilt.full_sync()
    assert reconciler.document() == rebuilt.document()
    assert reconciler.route_count == rebuilt.route_count


def test_status_follows_the_proxy_service_type() -> None:
    from pomgate.controller.status import desired_load_balancer
    from pomgate.kube.models import Service

    lb = Service.model_validate(
        {
            **service("proxy", type="LoadBalancer"),
            "status": {
                "loadBalancer": {
                    "ingress": [{"hostname": "lb.example.net", "ports": [{"port": 443, "protocol": "TCP"}]}]
                }
            },
        }
    )
    assert desired_load_balancer(lb) == [{"hostname": "lb.example.net", "ports": [{"port": 443, "protocol": "TCP"}]}]
    node_port = Service.model_validate(service("proxy", type="NodePort", clusterIP="10.96.0.9"))
    assert desired_load_balancer(node_port) == [{"ip": "10.96.0.9"}]
    assert desired_load_balancer(Service.model_validate(service("proxy"))) == []
    assert desired_load_balancer(None) == []


def test_a_sync_split_over_two_processes_equals_one_process_and_the_offline_render() -> None:
    """Above 400 Ingresses the second process translates half; secrets, failures and all, nothing changes."""
    from pomgate import parallel

    header_secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "headers", "namespace": "default"},
        "type": "Opaque",
        "data": {"X-Token": base64.b64encode(b"s3cret").decode()},
    }
    objects: list[dict[str, Any]] = [ingress_class(), header_secret, tls_secret("cert")]
    for index in range(450):
        name = f"app-{index:03d}"
        annotations = {"ingress.pomerium.io/allow_any_authenticated_user": "true"}
        if index % 3 == 0:
            annotations = {"ingress.pomerium.io/set_request_headers_secret": "headers"}
        if index % 7 == 0:
            annotations["ingress.pomerium.io/policy"] = "allow:\n  or:\n  - bogus: 1\n"  # fails the Ingress
        if index % 11 != 0:  # the rest miss their Service and Endpoints: failed too
            objects += [service(name), endpoints(name)]
        objects.append(
            ingress(name, f"{name}.example.com", name, annotations=annotations, tls="cert" if index % 5 == 0 else None)
        )

    def sync(workers: int) -> tuple[list[tuple[Any, ...]], bytes]:
        parallel.set_workers(workers)
        try:
            reconciler = Reconciler(LIVE)
            feed(reconciler, *objects)
            reports = [(r.key, r.state, r.error, r.routes) for r in reconciler.full_sync()]
            return reports, reconciler.document()
        finally:
            parallel.set_workers(1)

    one, two = sync(1), sync(2)
    assert two == one
    states = {state for _key, state, _error, _routes in one[0]}
    assert states == {"updated", "failed"}
    assert b"s3cret" in one[1]  # Secret values are written to the config (never redacted there)

    manifests = [
        ManifestObject(
            o["apiVersion"], o["kind"], o["metadata"]["name"], o["metadata"].get("namespace", ""), o, Origin("c", 0, 1)
        )
        for o in objects
    ]
    inventory, _ = build_inventory(manifests)
    offline = routes_config(translate(inventory, LIVE).routes, show_secrets=True)["routes"]
    assert routes_of(one[1]) == offline
    assert any(route.get("set_request_headers") == {"X-Token": "s3cret"} for route in offline)
