"""deploy/: the manifests that run `pomgate controller` in a cluster are valid, complete and least-privilege.

deploy/base holds the manifests (`kubectl apply -k deploy/` applies them: the Secret output);
deploy/databroker is the overlay for the databroker output (`kubectl apply -k deploy/databroker`).
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

import pomgate

# Every flag the Deployment may pass to `pomgate controller` (a CLI test compares this set with the real options).
CONTROLLER_FLAGS: frozenset[str] = frozenset(
    {
        "--config-secret",
        "--config-file",
        "--base-config",
        "--update-status-from-service",
        "--leader-election-namespace",
        "--leader-election-id",
        "--health-probe-bind-address",
        "--metrics-bind-address",
        "--name",
        "--namespaces",
        "--prefix",
        "--kubeconfig",
        "--hosts-config",
        "--translation-budget",
        "--databroker-service-url",
        "--databroker-tls-ca-file",
        "--databroker-tls-override-certificate-name",
    }
)

PROJECT = Path(__file__).resolve().parents[2]
DEPLOY = PROJECT / "deploy" / "base"
OVERLAY = PROJECT / "deploy" / "databroker"
KUBERNETES_VERSION = "1.32"
NAMESPACE = "pomerium"
SERVICE_ACCOUNT = "pomgate-controller"
CONTROLLER_NAME = "pomerium.io/ingress-controller"
LEASE_NAME = "pomgate-ingress-controller"  # default of --leader-election-id
CONFIG_SECRET = "pomerium-routes"
NOT_MANIFESTS = {"kustomization.yaml", "README.md"}

Doc = dict[str, Any]
# (scope, apiGroup, resource, verb, resourceNames): scope is "cluster" or the Role's namespace.
Grant = tuple[str, str, str, str, tuple[str, ...]]


def _cluster(group: str, resources: list[str], verbs: list[str]) -> set[Grant]:
    return {("cluster", group, r, v, ()) for r in resources for v in verbs}


def _ns(group: str, resource: str, verbs: list[str], names: tuple[str, ...] = ()) -> set[Grant]:
    return {(NAMESPACE, group, resource, v, names) for v in verbs}


EXPECTED_GRANTS: set[Grant] = (
    _cluster("networking.k8s.io", ["ingresses", "ingressclasses"], ["list", "watch"])
    | _cluster("", ["services", "endpoints", "secrets"], ["list", "watch"])
    | _cluster("", ["services"], ["get"])
    | _cluster("networking.k8s.io", ["ingresses/status"], ["update", "patch"])
    | _cluster("", ["events"], ["create", "patch"])
)
#: With the databroker the lease and the output are in the databroker: nothing in namespace pomerium.
EXPECTED_DATABROKER_GRANTS: set[Grant] = set(EXPECTED_GRANTS)
EXPECTED_GRANTS |= (
    _ns("coordination.k8s.io", "leases", ["get", "update"], (LEASE_NAME,))
    | _ns("coordination.k8s.io", "leases", ["create"])
    | _ns("", "secrets", ["get", "update", "patch"], (CONFIG_SECRET,))
    | _ns("", "secrets", ["create"])
)
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}


# ---------------------------------------------------------------------------------------------------------------------
# Helpers


def manifest_files() -> list[Path]:
    return sorted(p for p in DEPLOY.iterdir() if p.is_file() and p.name not in NOT_MANIFESTS)


def load_docs() -> list[tuple[str, Doc]]:
    docs: list[tuple[str, Doc]] = []
    for path in manifest_files():
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc is not None:
                docs.append((path.name, doc))
    return docs


def identity(doc: Doc) -> tuple[str, str, str, str]:
    meta = doc["metadata"]
    return (doc["apiVersion"], doc["kind"], meta.get("namespace", ""), meta["name"])


def only(kind: str, docs: list[Doc]) -> Doc:
    found = [d for d in docs if d["kind"] == kind]
    assert len(found) == 1, f"expected exactly one {kind}, found {len(found)}"
    return found[0]


def of_kind(kind: str, docs: list[Doc]) -> list[Doc]:
    return [d for d in docs if d["kind"] == kind]


def grants(docs: list[Doc]) -> set[Grant]:
    result: set[Grant] = set()
    for doc in docs:
        if doc["kind"] not in ("ClusterRole", "Role"):
            continue
        scope = "cluster" if doc["kind"] == "ClusterRole" else doc["metadata"]["namespace"]
        for rule in doc.get("rules", []):
            names = tuple(sorted(rule.get("resourceNames", [])))
            for group in rule.get("apiGroups", []):
                for resource in rule.get("resources", []):
                    for verb in rule.get("verbs", []):
                        result.add((scope, group, resource, verb, names))
    return result


def parse_args(args: list[str]) -> tuple[str, dict[str, str]]:
    """`["controller", "--a=b", "--c", "d"]` -> ("controller", {"--a": "b", "--c": "d"})."""
    command, rest = args[0], args[1:]
    flags: dict[str, str] = {}
    i = 0
    while i < len(rest):
        arg = rest[i]
        assert arg.startswith("--"), f"unexpected positional argument {arg!r}"
        if "=" in arg:
            name, value = arg.split("=", 1)
        else:
            name, value = arg, rest[i + 1]
            i += 1
        assert name not in flags, f"{name} given twice"
        flags[name] = value
        i += 1
    return command, flags


def bind_port(address: str) -> int:
    """`:8081` or `0.0.0.0:8081` -> 8081."""
    _host, sep, port = address.rpartition(":")
    assert sep and port.isdigit(), f"not a host:port bind address: {address!r}"
    return int(port)


def probe_port(probe: Doc, container: Doc) -> int:
    port = probe["httpGet"]["port"]
    if isinstance(port, int):
        return port
    named = {p["name"]: p["containerPort"] for p in container.get("ports", []) if "name" in p}
    assert port in named, f"probe uses unknown named port {port!r}"
    return int(named[port])


def controller_container(deployment: Doc) -> Doc:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


@pytest.fixture(scope="module")
def docs() -> list[Doc]:
    return [d for _, d in load_docs()]


@pytest.fixture(scope="module")
def deployment(docs: list[Doc]) -> Doc:
    return only("Deployment", docs)


@pytest.fixture(scope="module")
def container(deployment: Doc) -> Doc:
    return controller_container(deployment)


@pytest.fixture(scope="module")
def flags(container: Doc) -> dict[str, str]:
    command, parsed = parse_args(container["args"])
    assert container["command"] == ["pomgate"]
    assert command == "controller"
    return parsed


# ---------------------------------------------------------------------------------------------------------------------
# Schema validation (kubernetes-validate ships the JSON schemas, so this runs offline)


@pytest.fixture(scope="module")
def kubernetes_validate() -> Any:
    return pytest.importorskip("kubernetes_validate", reason="kubernetes-validate is not installed")


def validate(kv: Any, doc: Doc) -> None:
    kv.validate(doc, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize(
    "name_and_doc", load_docs(), ids=lambda nd: f"{nd[0]}:{nd[1].get('kind')}/{nd[1]['metadata']['name']}"
)
def test_every_document_validates_strictly(kubernetes_validate: Any, name_and_doc: tuple[str, Doc]) -> None:
    _, doc = name_and_doc
    # Raises ValidationError on a bad field and SchemaNotFoundError on an unknown kind/apiVersion.
    validate(kubernetes_validate, doc)


def test_there_are_manifests() -> None:
    kinds = {d["kind"] for _, d in load_docs()}
    assert {"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Deployment"} <= kinds
    assert "IngressClass" in kinds
    assert "Namespace" not in kinds, "namespace pomerium belongs to the Pomerium install"


def test_misspelled_field_fails_validation(kubernetes_validate: Any, deployment: Doc) -> None:
    broken = copy.deepcopy(deployment)
    security = broken["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    security["readOnlyRootFileSystem"] = security.pop("readOnlyRootFilesystem")
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(kubernetes_validate, broken)


def test_wrongly_typed_annotation_fails_validation(kubernetes_validate: Any, docs: list[Doc]) -> None:
    broken = copy.deepcopy(only("IngressClass", docs))
    broken["metadata"]["annotations"]["ingressclass.kubernetes.io/is-default-class"] = False  # unquoted YAML false
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(kubernetes_validate, broken)


def test_annotation_values_are_strings(docs: list[Doc]) -> None:
    for doc in docs:
        for meta in (doc["metadata"], doc.get("spec", {}).get("template", {}).get("metadata", {})):
            for key, value in (meta.get("annotations") or {}).items():
                assert isinstance(value, str), f"{identity(doc)}: annotation {key} must be a quoted string"


# ---------------------------------------------------------------------------------------------------------------------
# Kustomize


def kustomization() -> Doc:
    data = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_kustomization_lists_every_manifest() -> None:
    k = kustomization()
    assert k["namespace"] == NAMESPACE
    resources = k["resources"]
    assert len(resources) == len(set(resources)), "duplicate entries in kustomization resources"
    assert set(resources) == {p.name for p in manifest_files()}


def test_manifests_are_in_namespace_pomerium(docs: list[Doc]) -> None:
    cluster_scoped = {"ClusterRole", "ClusterRoleBinding", "IngressClass"}
    for doc in docs:
        namespace = doc["metadata"].get("namespace")
        if doc["kind"] in cluster_scoped:
            assert namespace is None, f"{identity(doc)} is cluster-scoped"
        else:
            assert namespace == NAMESPACE, f"{identity(doc)} must be in namespace {NAMESPACE}"


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_kustomize_renders_the_same_objects(docs: list[Doc]) -> None:
    kubectl = shutil.which("kubectl")
    assert kubectl is not None
    out = subprocess.run(
        [kubectl, "kustomize", str(DEPLOY.parent)], capture_output=True, text=True, check=True, timeout=60
    ).stdout  # `kubectl apply -k deploy/` applies the base unchanged
    rendered = [d for d in yaml.safe_load_all(out) if d is not None]
    by_id = {identity(d): d for d in docs}
    assert len(by_id) == len(docs), "two manifests define the same object"
    assert sorted(identity(d) for d in rendered) == sorted(by_id)
    for doc in rendered:
        assert doc == by_id[identity(doc)], f"kustomize changed {identity(doc)}"


# ---------------------------------------------------------------------------------------------------------------------
# RBAC


def test_rbac_grants_exactly_the_controller_calls(docs: list[Doc]) -> None:
    actual = grants(docs)
    assert actual - EXPECTED_GRANTS == set(), "extra permissions"
    assert EXPECTED_GRANTS - actual == set(), "missing permissions"


def test_cluster_wide_watches_are_exactly_what_the_controller_watches(docs: list[Doc]) -> None:
    from pomgate.controller.runner import WATCHED

    watched = {(resource.group, resource.plural) for resource in WATCHED}
    for verb in ("list", "watch"):
        granted = {
            (group, resource) for scope, group, resource, v, _ in grants(docs) if scope == "cluster" and v == verb
        }
        assert granted == watched, f"{verb}: granted {sorted(granted)}, watched {sorted(watched)}"


def test_rbac_has_no_wildcards_or_escalation(docs: list[Doc]) -> None:
    for doc in of_kind("ClusterRole", docs) + of_kind("Role", docs):
        assert "aggregationRule" not in doc
        for rule in doc["rules"]:
            assert "nonResourceURLs" not in rule
            for field in ("apiGroups", "resources", "verbs", "resourceNames"):
                for value in rule.get(field, []):
                    assert "*" not in value, f"wildcard in {doc['metadata']['name']}: {field}={value}"
    actual = grants(docs)
    assert {g[3] for g in actual} <= {"get", "list", "watch", "create", "update", "patch"}
    for scope, group, resource, verb, _ in actual:
        assert resource not in ("roles", "clusterroles", "rolebindings", "clusterrolebindings", "serviceaccounts")
        if group == "" and resource == "secrets" and verb in WRITE_VERBS:
            assert scope == NAMESPACE, "secrets may be written only in namespace pomerium"


def test_rbac_name_restrictions_match_the_deployment(docs: list[Doc], flags: dict[str, str]) -> None:
    secret_ns, secret_name = flags["--config-secret"].split("/", 1)
    lease_ns = flags["--leader-election-namespace"]
    lease_name = flags.get("--leader-election-id", LEASE_NAME)
    ns_grants = {g for g in grants(docs) if g[0] != "cluster"}
    for scope, _group, resource, verb, names in ns_grants:
        if resource == "secrets" and verb != "create":
            assert (scope, names) == (secret_ns, (secret_name,))
        if resource == "leases" and verb != "create":
            assert (scope, names) == (lease_ns, (lease_name,))


def test_bindings_give_the_roles_to_the_service_account(docs: list[Doc]) -> None:
    sa = only("ServiceAccount", docs)
    assert (sa["metadata"]["name"], sa["metadata"]["namespace"]) == (SERVICE_ACCOUNT, NAMESPACE)
    roles = {(d["kind"], d["metadata"]["name"]) for d in of_kind("ClusterRole", docs) + of_kind("Role", docs)}
    bound: set[tuple[str, str]] = set()
    for binding in of_kind("ClusterRoleBinding", docs) + of_kind("RoleBinding", docs):
        ref = binding["roleRef"]
        assert ref["apiGroup"] == "rbac.authorization.k8s.io"
        if binding["kind"] == "ClusterRoleBinding":
            assert ref["kind"] == "ClusterRole"
        bound.add((ref["kind"], ref["name"]))
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": NAMESPACE}]
    assert bound == roles


# ---------------------------------------------------------------------------------------------------------------------
# Deployment


def test_args_use_only_known_flags(flags: dict[str, str]) -> None:
    assert set(flags) <= CONTROLLER_FLAGS, f"unknown flags: {sorted(set(flags) - CONTROLLER_FLAGS)}"
    assert flags["--config-secret"] == f"{NAMESPACE}/{CONFIG_SECRET}"
    assert flags["--leader-election-namespace"] == NAMESPACE
    assert flags["--update-status-from-service"] == f"{NAMESPACE}/pomerium-proxy"


def test_flag_parser_rejects_what_it_should() -> None:
    assert parse_args(["controller", "--a=b", "--c", "d"]) == ("controller", {"--a": "b", "--c": "d"})
    with pytest.raises(AssertionError):
        parse_args(["controller", "--a=b", "--a=c"])
    with pytest.raises(AssertionError):
        bind_port("8081")


def test_probes_use_the_health_probe_port(container: Doc, flags: dict[str, str]) -> None:
    port = bind_port(flags["--health-probe-bind-address"])
    live, ready = container["livenessProbe"], container["readinessProbe"]
    assert (live["httpGet"]["path"], probe_port(live, container)) == ("/healthz", port)
    assert (ready["httpGet"]["path"], probe_port(ready, container)) == ("/readyz", port)
    assert {"name": "health", "containerPort": port, "protocol": "TCP"} in container["ports"]


def test_metrics_port_matches_the_flag(container: Doc, flags: dict[str, str], docs: list[Doc]) -> None:
    port = bind_port(flags["--metrics-bind-address"])
    assert {"name": "metrics", "containerPort": port, "protocol": "TCP"} in container["ports"]
    for service in of_kind("Service", docs):
        for sp in service["spec"]["ports"]:
            assert sp["targetPort"] in ("metrics", port)
            assert sp["name"] == "metrics"
        pod_labels = only("Deployment", docs)["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= pod_labels.items()


def test_pod_is_locked_down(deployment: Doc, container: Doc) -> None:
    pod = deployment["spec"]["template"]["spec"]
    pod_sc, sc = pod.get("securityContext", {}), container["securityContext"]

    def effective(key: str) -> Any:
        return sc.get(key, pod_sc.get(key))

    assert effective("runAsNonRoot") is True
    assert effective("runAsUser") == 10001
    assert effective("runAsGroup") == 10001
    assert effective("seccompProfile") == {"type": "RuntimeDefault"}
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc.get("privileged", False) is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert not sc["capabilities"].get("add")
    assert not pod.get("hostNetwork") and not pod.get("hostPID") and not pod.get("hostIPC")


def test_tmp_is_a_writable_empty_dir(deployment: Doc, container: Doc) -> None:
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
    assert len(tmp) == 1 and not tmp[0].get("readOnly", False)
    assert "emptyDir" in volumes[tmp[0]["name"]]


def test_deployment_identity_and_runtime(deployment: Doc, container: Doc) -> None:
    spec, pod = deployment["spec"], deployment["spec"]["template"]["spec"]
    assert deployment["metadata"]["name"] == "pomgate-controller"
    assert spec["replicas"] == 2
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    assert pod["serviceAccountName"] == SERVICE_ACCOUNT
    assert pod["automountServiceAccountToken"] is True
    assert pod["terminationGracePeriodSeconds"] == 30
    assert container["image"] == f"ghcr.io/pomgate/pomgate:{pomgate.__version__}"
    env = {e["name"]: e for e in container["env"]}
    assert env["POD_NAMESPACE"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}
    resources = container["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"]) and "memory" in resources["limits"]


def test_rolling_update_keeps_a_synced_replica(deployment: Doc) -> None:
    # Standbys are Ready once synced, so a rollout never has to take the last replica down first.
    strategy = deployment["spec"]["strategy"]
    assert strategy["type"] == "RollingUpdate"
    assert strategy["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}


def test_disruption_budget_keeps_one_replica(docs: list[Doc]) -> None:
    [pdb] = of_kind("PodDisruptionBudget", docs)
    assert pdb["spec"] == {
        "minAvailable": 1,
        "selector": {"matchLabels": {"app.kubernetes.io/name": "pomgate-controller"}},
    }


# ---------------------------------------------------------------------------------------------------------------------
# IngressClass


def test_ingress_class(docs: list[Doc]) -> None:
    ingress_class = only("IngressClass", docs)
    assert ingress_class["metadata"]["name"] == "pomerium"
    assert ingress_class["spec"]["controller"] == CONTROLLER_NAME
    assert ingress_class["metadata"]["annotations"]["ingressclass.kubernetes.io/is-default-class"] == "false"


def test_the_deployment_args_parse_with_the_real_command(deployment: Doc) -> None:
    import typer

    from pomgate.cli.app import app

    command = typer.main.get_command(app).commands["controller"]  # type: ignore[attr-defined]
    options = {name for param in command.params for name in getattr(param, "opts", [])}
    assert options >= CONTROLLER_FLAGS
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["args"][0] == "controller"
    context = command.make_context("controller", list(container["args"][1:]))
    assert context.params["config_secret"] == "pomerium/pomerium-routes"
    assert context.params["health_probe_bind_address"] == ":8081"


# ---------------------------------------------------------------------------------------------------------------------
# deploy/databroker: the overlay for the databroker output


@pytest.fixture(scope="module")
def overlay_docs() -> list[Doc]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    out = subprocess.run(
        [kubectl, "kustomize", str(OVERLAY)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d is not None]


@pytest.fixture(scope="module")
def overlay_container(overlay_docs: list[Doc]) -> Doc:
    return controller_container(only("Deployment", overlay_docs))


def test_overlay_documents_validate_strictly(kubernetes_validate: Any, overlay_docs: list[Doc]) -> None:
    for doc in overlay_docs:
        validate(kubernetes_validate, doc)


def test_overlay_changes_only_the_deployment_and_drops_the_namespace_role(
    overlay_docs: list[Doc], docs: list[Doc]
) -> None:
    base = {identity(d): d for d in docs}
    overlay = {identity(d): d for d in overlay_docs}
    assert set(base) - set(overlay) == {
        ("rbac.authorization.k8s.io/v1", "Role", NAMESPACE, "pomgate-controller"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding", NAMESPACE, "pomgate-controller"),
    }
    assert set(overlay) <= set(base)
    changed = {key for key in overlay if overlay[key] != base[key]}
    assert changed == {("apps/v1", "Deployment", NAMESPACE, "pomgate-controller")}
    assert grants(overlay_docs) == EXPECTED_DATABROKER_GRANTS


def test_overlay_runs_the_databroker_output_with_the_shared_secret(overlay_container: Doc) -> None:
    import typer

    from pomgate.cli.app import app

    command, flags = parse_args(overlay_container["args"])
    assert command == "controller" and set(flags) <= CONTROLLER_FLAGS
    assert flags["--databroker-service-url"].startswith(("http://", "https://"))
    # Neither the Secret/file output nor Kubernetes leader election (refused with the databroker, as upstream).
    assert not {"--config-secret", "--config-file", "--leader-election-namespace", "--leader-election-id"} & set(flags)
    env = {e["name"]: e for e in overlay_container["env"]}
    assert env["SHARED_SECRET"]["valueFrom"]["secretKeyRef"] == {
        "name": "pomerium-shared-secret",
        "key": "shared_secret",
    }
    click_command = typer.main.get_command(app).commands["controller"]  # type: ignore[attr-defined]
    context = click_command.make_context("controller", list(overlay_container["args"][1:]))
    assert context.params["databroker_service_url"] == flags["--databroker-service-url"]
    assert context.params["config_secret"] is None


def test_overlay_probes_suit_a_lease_holder_and_a_standby(overlay_container: Doc) -> None:
    _command, flags = parse_args(overlay_container["args"])
    port = bind_port(flags["--health-probe-bind-address"])
    # A standby answers /readyz 503 "waiting for databroker lease" (upstream's): no readiness probe on it.
    assert "readinessProbe" not in overlay_container
    startup, live = overlay_container["startupProbe"], overlay_container["livenessProbe"]
    assert (startup["httpGet"]["path"], probe_port(startup, overlay_container)) == ("/startupz", port)
    assert (live["httpGet"]["path"], probe_port(live, overlay_container)) == ("/healthz", port)


def test_overlay_mounts_no_config_volume(overlay_docs: list[Doc]) -> None:
    pod = only("Deployment", overlay_docs)["spec"]["template"]["spec"]
    assert [v["name"] for v in pod["volumes"]] == ["tmp"]
    assert [m["mountPath"] for m in pod["containers"][0]["volumeMounts"]] == ["/tmp"]
