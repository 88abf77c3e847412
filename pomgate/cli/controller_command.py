"""`pomgate controller`: the in-cluster mode (flags after the upstream controller's)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from pomgate.translation.budget import DEFAULT_INGRESS_BUDGET

DATABROKER_FLAGS = (
    "databroker_service_url",
    "databroker_tls_ca",
    "databroker_tls_ca_file",
    "databroker_tls_insecure_skip_verify",
    "databroker_tls_override_certificate_name",
    "shared_secret",
)


def _env(name: str) -> str:
    return name.upper().replace("-", "_")


def _object_name(value: str | None, flag: str) -> tuple[str, str] | None:
    """``NAMESPACE/NAME`` (namespace mandatory, like upstream)."""
    if value is None or value == "":
        return None
    namespace, slash, name = value.partition("/")
    if not slash or not namespace or not name or "/" in name:
        raise typer.BadParameter(f"expected NAMESPACE/NAME, got {value!r}", param_hint=flag)
    return namespace, name


def _bind_address(value: str, flag: str) -> tuple[str, int] | None:
    """``[HOST]:PORT``; ``0`` or empty turns the endpoint off."""
    if value in ("", "0"):
        return None
    host, colon, port = value.rpartition(":")
    if not colon or not port.isdigit() or not 0 < int(port) < 65536:
        raise typer.BadParameter(f"expected [HOST]:PORT, got {value!r}", param_hint=flag)
    return host.strip("[]"), int(port)


def controller(
    name: Annotated[
        str, typer.Option("--name", envvar="NAME", help="IngressClass spec.controller value this controller owns.")
    ] = "pomerium.io/ingress-controller",
    namespaces: Annotated[
        str,
        typer.Option(
            "--namespaces", envvar="NAMESPACES", help="Comma-separated namespaces to manage (default: all namespaces)."
        ),
    ] = "",
    prefix: Annotated[
        str, typer.Option("--prefix", envvar="PREFIX", help="Annotation prefix (no trailing slash).")
    ] = "ingress.pomerium.io",
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config-file",
            envvar="CONFIG_FILE",
            help="Write Pomerium's config.yaml here (atomically: temp file, fsync, rename).",
            dir_okay=False,
        ),
    ] = None,
    base_config: Annotated[
        Path | None,
        typer.Option(
            "--base-config",
            envvar="BASE_CONFIG",
            help="A Pomerium config.yaml whose settings (and routes, first) go under the Ingress routes.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    hosts_config: Annotated[
        Path | None,
        typer.Option(
            "--hosts-config",
            envvar="HOSTS_CONFIG",
            metavar="FILE",
            help="A pomgate configuration (.pomgate.yaml) whose hosts: map says which namespaces may serve a host; "
            "an Ingress with a route on a host its namespace may not serve is refused (no routes, an UpdateError).",
        ),
    ] = None,
    config_secret: Annotated[
        str | None,
        typer.Option(
            "--config-secret",
            envvar="CONFIG_SECRET",
            metavar="NAMESPACE/NAME",
            help="Write the config to this Secret's config.yaml key (created if missing; at most 1 MiB).",
        ),
    ] = None,
    update_status_from_service: Annotated[
        str | None,
        typer.Option(
            "--update-status-from-service",
            envvar="UPDATE_STATUS_FROM_SERVICE",
            metavar="NAMESPACE/NAME",
            help="Copy this Service's load-balancer address to the status of every Ingress with routes.",
        ),
    ] = None,
    health_probe_bind_address: Annotated[
        str,
        typer.Option(
            "--health-probe-bind-address",
            envvar="HEALTH_PROBE_BIND_ADDRESS",
            help="/healthz and /readyz ([HOST]:PORT; 0 turns them off).",
        ),
    ] = ":8081",
    metrics_bind_address: Annotated[
        str,
        typer.Option(
            "--metrics-bind-address",
            envvar="METRICS_BIND_ADDRESS",
            help="Prometheus /metrics ([HOST]:PORT; 0 turns it off).",
        ),
    ] = ":8080",
    leader_elect: Annotated[
        bool,
        typer.Option(
            "--leader-elect/--no-leader-elect",
            envvar="LEADER_ELECT",
            help="Write only while holding a coordination.k8s.io Lease, so replicas can stand by.",
        ),
    ] = True,
    leader_election_namespace: Annotated[
        str | None,
        typer.Option(
            "--leader-election-namespace",
            envvar="LEADER_ELECTION_NAMESPACE",
            help="Namespace of the Lease [default: the pod's namespace, else the kubeconfig context's].",
        ),
    ] = None,
    leader_election_id: Annotated[
        str, typer.Option("--leader-election-id", envvar="LEADER_ELECTION_ID", help="Name of the Lease.")
    ] = "pomgate-ingress-controller",
    lease_duration: Annotated[
        float, typer.Option("--lease-duration", help="Seconds a standby waits before taking an unrenewed Lease.")
    ] = 15.0,
    renew_deadline: Annotated[
        float, typer.Option("--renew-deadline", help="Seconds the leader may fail to renew before it stops writing.")
    ] = 10.0,
    retry_period: Annotated[
        float, typer.Option("--retry-period", help="Seconds between Lease renewals and acquisition attempts.")
    ] = 2.0,
    translation_budget: Annotated[
        float,
        typer.Option(
            "--translation-budget",
            envvar="TRANSLATION_BUDGET",
            help="Seconds one Ingress's regexes may take to compile; past it the Ingress fails (0: no limit).",
        ),
    ] = DEFAULT_INGRESS_BUDGET,
    kubeconfig: Annotated[
        str | None,
        typer.Option(
            "--kubeconfig",
            help="kubeconfig file [default: $KUBECONFIG, then the pod's service account, then ~/.kube/config].",
        ),
    ] = None,
    context: Annotated[str | None, typer.Option("--context", help="kubeconfig context to use.")] = None,
    log_level: Annotated[
        str, typer.Option("--log-level", envvar="LOG_LEVEL", help="debug, info, warning or error.")
    ] = "info",
    databroker_service_url: Annotated[str | None, typer.Option(hidden=True, envvar="DATABROKER_SERVICE_URL")] = None,
    databroker_tls_ca: Annotated[str | None, typer.Option(hidden=True, envvar="DATABROKER_TLS_CA")] = None,
    databroker_tls_ca_file: Annotated[str | None, typer.Option(hidden=True, envvar="DATABROKER_TLS_CA_FILE")] = None,
    databroker_tls_insecure_skip_verify: Annotated[
        bool | None, typer.Option(hidden=True, envvar="DATABROKER_TLS_INSECURE_SKIP_VERIFY")
    ] = None,
    databroker_tls_override_certificate_name: Annotated[
        str | None, typer.Option(hidden=True, envvar="DATABROKER_TLS_OVERRIDE_CERTIFICATE_NAME")
    ] = None,
    shared_secret: Annotated[str | None, typer.Option(hidden=True, envvar="SHARED_SECRET")] = None,
) -> None:
    """Run in the cluster: watch Ingresses and what they reference, write Pomerium's routes.

    The routes come from the same translator as `pomgate check` and `render`, so what passed review is
    what runs. Objects are strict here: a referenced Service, Endpoints or Secret that does not exist
    fails that Ingress (a Warning `UpdateError` event); the others are unaffected, and a failing
    Ingress keeps its last good routes until the controller restarts.

    With --hosts-config, host ownership is enforced as `pomgate check` does (routing/cross-namespace-host):
    an Ingress with a route on a host the file's hosts: keeps from its namespace is refused, without
    its last good routes, and gets an UpdateError naming the host, the entry and the allowed namespaces.
    The file is read at startup (a change takes effect when the controller restarts).

    Output: --config-file (a file Pomerium watches) and/or --config-secret (a Secret Pomerium mounts).
    Replicas elect one writer with a Lease; the others keep their view current and take over when it
    goes away. Nothing is written until every watched kind has been listed once.

    Every flag can also be given as an environment variable (SCREAMING_SNAKE_CASE, e.g. CONFIG_SECRET).

    Examples:

      pomgate controller --config-secret pomerium/pomerium-routes --update-status-from-service pomerium/proxy

      pomgate controller --kubeconfig ~/.kube/config --config-file /tmp/routes.yaml --no-leader-elect
    """
    given = {
        "databroker_service_url": databroker_service_url,
        "databroker_tls_ca": databroker_tls_ca,
        "databroker_tls_ca_file": databroker_tls_ca_file,
        "databroker_tls_insecure_skip_verify": databroker_tls_insecure_skip_verify,
        "databroker_tls_override_certificate_name": databroker_tls_override_certificate_name,
        "shared_secret": shared_secret,
    }
    used = [flag for flag in DATABROKER_FLAGS if given[flag] is not None]
    if used:
        flags = ", ".join("--" + flag.replace("_", "-") for flag in used)
        typer.echo(
            f"pomgate controller: {flags}: writing to Pomerium's databroker is not supported yet; "
            "write the config with --config-file or --config-secret instead",
            err=True,
        )
        raise typer.Exit(2)
    if config_file is None and config_secret is None:
        raise typer.BadParameter("give --config-file PATH and/or --config-secret NAMESPACE/NAME", param_hint="output")
    secret = _object_name(config_secret, "--config-secret")
    status_service = _object_name(update_status_from_service, "--update-status-from-service")
    health = _bind_address(health_probe_bind_address, "--health-probe-bind-address")
    metrics = _bind_address(metrics_bind_address, "--metrics-bind-address")
    if prefix.endswith("/") or not prefix:
        raise typer.BadParameter("the prefix must be non-empty and have no trailing slash", param_hint="--prefix")
    if config_file is not None and not config_file.parent.is_dir():
        raise typer.BadParameter(f"folder {config_file.parent} does not exist", param_hint="--config-file")
    if translation_budget < 0:
        raise typer.BadParameter("must be 0 (no limit) or more", param_hint="--translation-budget")
    if not 0 < retry_period < renew_deadline < lease_duration:
        raise typer.BadParameter(
            "need 0 < --retry-period < --renew-deadline < --lease-duration", param_hint="--lease-duration"
        )
    level = log_level.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise typer.BadParameter(f"unknown level {log_level!r}", param_hint="--log-level")

    import asyncio
    import logging

    try:
        import aiohttp  # noqa: F401 - the controller's HTTP client and probe server
    except ImportError:
        typer.echo("pomgate controller: needs aiohttp: pip install 'pomgate[controller]'", err=True)
        raise typer.Exit(2) from None
    from pomgate.controller.kubeclient import ConfigError, load_cluster_config
    from pomgate.controller.reconciler import check_base_config
    from pomgate.translation.options import TranslateOptions

    logging.basicConfig(
        level=getattr(logging, level), format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr
    )
    logging.getLogger("aiohttp").setLevel(logging.WARNING)
    base: dict[str, object] = {}
    if base_config is not None:
        import yaml

        try:
            base = check_base_config(yaml.safe_load(base_config.read_text(encoding="utf-8")), str(base_config))
        except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as err:
            typer.echo(f"pomgate controller: --base-config: {err}", err=True)
            raise typer.Exit(2) from None
    host_owners: dict[str, tuple[str, ...]] = {}
    if hosts_config is not None:
        from pomgate.config import ConfigError as PomgateConfigError
        from pomgate.config import load_config

        try:
            host_owners = load_config(hosts_config).hosts
        except PomgateConfigError as err:
            typer.echo(f"pomgate controller: --hosts-config: {err}", err=True)
            raise typer.Exit(2) from None
        if host_owners:
            logging.getLogger("pomgate.controller").info(
                "host ownership from %s: %d host pattern(s) reserved for their namespaces",
                hosts_config,
                len(host_owners),
            )
        else:
            logging.getLogger("pomgate.controller").warning(
                "--hosts-config %s has no hosts: entries: every namespace may serve every host", hosts_config
            )
    try:
        cluster = load_cluster_config(kubeconfig, context)
    except ConfigError as err:
        typer.echo(f"pomgate controller: {err}", err=True)
        raise typer.Exit(2) from None
    lease_namespace = (
        leader_election_namespace
        or os.environ.get("POD_NAMESPACE")
        or (secret[0] if secret else None)
        or cluster.namespace
    )
    from pomgate.controller.runner import ControllerSettings, run_controller

    settings = ControllerSettings(
        cluster=cluster,
        options=TranslateOptions(
            prefix=prefix,
            controller_name=name,
            assumed_ingress_class=None,
            namespaces=frozenset(ns.strip() for ns in namespaces.split(",") if ns.strip()),
            live=True,
            ingress_budget=translation_budget or None,
        ),
        config_file=config_file,
        base_config=base,
        host_owners=host_owners,
        config_secret=secret,
        status_service=status_service,
        health_address=health,
        metrics_address=metrics,
        leader_election=leader_elect,
        lease_namespace=lease_namespace,
        lease_name=leader_election_id,
        lease_duration=lease_duration,
        renew_deadline=renew_deadline,
        retry_period=retry_period,
    )
    try:
        asyncio.run(run_controller(settings))
    except KeyboardInterrupt:
        pass
    except OSError as err:  # e.g. a probe or metrics port in use
        typer.echo(f"pomgate controller: {err}", err=True)
        raise typer.Exit(1) from None
