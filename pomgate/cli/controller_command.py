"""`pomgate controller`: the in-cluster mode (flags after the upstream controller's)."""

from __future__ import annotations

import base64
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pomgate.translation.budget import DEFAULT_INGRESS_BUDGET

if TYPE_CHECKING:
    from pomgate.controller.databroker import DatabrokerSettings

#: Upstream's default databroker address, used when only the databroker's other flags are given.
DEFAULT_DATABROKER_URL = "http://localhost:5443"
#: Upstream flags for features pomgate does not have: refused when used, not unknown options.
UNSUPPORTED_UPSTREAM_FLAGS = {
    "pomerium_config": "--pomerium-config (the Pomerium CRD's global settings)",
    "experimental_gateway_api": "--experimental-gateway-api (the Gateway API controller)",
    "sync_api_url": "--sync-api-url (the unified API sync mode)",
    "sync_api_namespace_id": "--sync-api-namespace-id (the unified API sync mode)",
    "sync_api_token": "--sync-api-token (the unified API sync mode)",
}


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


def _databroker_settings(
    url: str,
    ca: str | None,
    ca_file: str | None,
    insecure: bool,
    override_name: str | None,
    shared_secret: str | None,
    lease_duration: float,
    message_limit: int | None = None,
) -> DatabrokerSettings:
    """The databroker flags checked and decoded (the CA from base64; the shared secret as upstream reads it)."""
    from pomgate.controller.databroker import DatabrokerSettings, decode_shared_secret, target_of

    try:
        target_of(url)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--databroker-service-url") from None
    ca_pem = b""
    if ca:
        try:
            ca_pem = base64.b64decode(ca, validate=True)
        except ValueError:
            raise typer.BadParameter("not valid base64", param_hint="--databroker-tls-ca") from None
    if ca_file and not os.path.isfile(ca_file):
        raise typer.BadParameter(f"no file {ca_file}", param_hint="--databroker-tls-ca-file")
    if lease_duration <= 0:
        raise typer.BadParameter("must be more than 0", param_hint="--databroker-lease-duration")
    if message_limit is not None and message_limit <= 1024:
        raise typer.BadParameter("must be more than 1024", param_hint="--databroker-message-limit")
    settings = DatabrokerSettings(
        url=url,
        ca_pem=ca_pem,
        ca_file=ca_file or "",
        insecure_skip_verify=insecure,
        override_certificate_name=override_name or "",
        shared_secret=decode_shared_secret(shared_secret or ""),
        lease_duration=lease_duration,
    )
    if message_limit is not None:
        settings.message_limit = message_limit
    return settings


def controller(
    name: Annotated[
        str, typer.Option("--name", envvar="NAME", help="IngressClass spec.controller value this controller owns.")
    ] = "pomerium.io/ingress-controller",
    namespaces: Annotated[
        list[str] | None,
        typer.Option(
            "--namespaces",
            envvar="NAMESPACES",
            help="Namespaces to manage: comma-separated, and/or the flag repeated (default: all namespaces).",
        ),
    ] = None,
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
        str | None,
        typer.Option(
            "--leader-election-id",
            envvar="LEADER_ELECTION_ID",
            help="Name of the Lease [default: pomgate-ingress-controller] (not with the databroker, as upstream).",
        ),
    ] = None,
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
    databroker_service_url: Annotated[
        str | None,
        typer.Option(
            envvar="DATABROKER_SERVICE_URL",
            help="Write the config to Pomerium's databroker at this gRPC URL (record ingress-controller), "
            f"as upstream does [upstream's default {DEFAULT_DATABROKER_URL} when only --shared-secret is given].",
        ),
    ] = None,
    databroker_tls_ca: Annotated[
        str | None, typer.Option(envvar="DATABROKER_TLS_CA", help="Base64-encoded CA bundle for the databroker.")
    ] = None,
    databroker_tls_ca_file: Annotated[
        str | None, typer.Option(envvar="DATABROKER_TLS_CA_FILE", help="CA file for the databroker connection.")
    ] = None,
    databroker_tls_insecure_skip_verify: Annotated[
        bool,
        typer.Option(
            envvar="DATABROKER_TLS_INSECURE_SKIP_VERIFY",
            help="Do not verify the databroker's certificate (the one it presents is trusted as is).",
        ),
    ] = False,
    databroker_tls_override_certificate_name: Annotated[
        str | None,
        typer.Option(
            envvar="DATABROKER_TLS_OVERRIDE_CERTIFICATE_NAME",
            help="Server name expected in the databroker's certificate.",
        ),
    ] = None,
    shared_secret: Annotated[
        str | None,
        typer.Option(
            envvar="SHARED_SECRET",
            help="Base64 shared secret that signs the JWT of each databroker request (as Pomerium's; "
            "an undecodable value is ignored, as upstream ignores it).",
        ),
    ] = None,
    shadow: Annotated[
        bool,
        typer.Option(
            "--shadow",
            envvar="SHADOW",
            help="Write nothing: read the record the real controller wrote to the databroker, translate the same "
            "cluster, and report each route or certificate that differs (log, pomgate_shadow_differences).",
        ),
    ] = False,
    shadow_events: Annotated[
        bool,
        typer.Option(
            "--shadow-events",
            envvar="SHADOW_EVENTS",
            help="With --shadow: a Warning ShadowDifference event per Ingress.",
        ),
    ] = False,
    shadow_interval: Annotated[
        float, typer.Option("--shadow-interval", help="With --shadow: seconds between comparisons without changes.")
    ] = 10.0,
    databroker_lease_duration: Annotated[float, typer.Option(hidden=True, envvar="DATABROKER_LEASE_DURATION")] = 30.0,
    databroker_message_limit: Annotated[
        int | None,
        typer.Option(
            hidden=True,
            envvar="DATABROKER_MESSAGE_LIMIT",
            help="Largest Put in bytes (default 4 MiB, what Pomerium's databroker accepts); for stand-ins.",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", hidden=True, envvar="DEBUG", help="Debug logging.")] = False,
    pomerium_config: Annotated[str | None, typer.Option(hidden=True, envvar="POMERIUM_CONFIG")] = None,
    experimental_gateway_api: Annotated[bool, typer.Option(hidden=True, envvar="EXPERIMENTAL_GATEWAY_API")] = False,
    gateway_class_controller_name: Annotated[
        str, typer.Option(hidden=True, envvar="GATEWAY_CLASS_CONTROLLER_NAME")
    ] = "pomerium.io/gateway-controller",
    sync_api_url: Annotated[str | None, typer.Option(hidden=True, envvar="SYNC_API_URL")] = None,
    sync_api_namespace_id: Annotated[str | None, typer.Option(hidden=True, envvar="SYNC_API_NAMESPACE_ID")] = None,
    sync_api_token: Annotated[str | None, typer.Option(hidden=True, envvar="SYNC_API_TOKEN")] = None,
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
    refused = {
        "pomerium_config": pomerium_config,
        "experimental_gateway_api": experimental_gateway_api or None,
        "sync_api_url": sync_api_url,
        "sync_api_namespace_id": sync_api_namespace_id,
        "sync_api_token": sync_api_token,
    }
    used = [UNSUPPORTED_UPSTREAM_FLAGS[flag] for flag, value in refused.items() if value]
    if used:
        typer.echo(f"pomgate controller: not supported by pomgate: {', '.join(used)}", err=True)
        raise typer.Exit(2)
    del gateway_class_controller_name  # upstream's, meaningful only with the Gateway API
    databroker_given = any(
        (databroker_service_url, databroker_tls_ca, databroker_tls_ca_file, databroker_tls_override_certificate_name)
    )
    only_databroker = (databroker_given or shared_secret) and config_file is None and config_secret is None
    if databroker_service_url is None and (shadow or only_databroker):
        databroker_service_url = DEFAULT_DATABROKER_URL
    if config_file is None and config_secret is None and databroker_service_url is None:
        raise typer.BadParameter(
            "give --databroker-service-url URL, --config-file PATH and/or --config-secret NAMESPACE/NAME",
            param_hint="output",
        )
    if databroker_service_url is not None and not shadow and (leader_election_id or leader_election_namespace):
        raise typer.BadParameter(
            "kubernetes leader election can be used only with sync API (with the databroker, replicas share "
            "its lease ingress-controller)",
            param_hint="--leader-election-id/--leader-election-namespace",
        )
    databroker_settings = None
    if databroker_service_url is not None:
        databroker_settings = _databroker_settings(
            databroker_service_url,
            databroker_tls_ca,
            databroker_tls_ca_file,
            databroker_tls_insecure_skip_verify,
            databroker_tls_override_certificate_name,
            shared_secret,
            databroker_lease_duration,
            databroker_message_limit,
        )
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
    level = "DEBUG" if debug else log_level.upper()
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
            namespaces=frozenset(
                part.strip() for value in namespaces or () for part in value.split(",") if part.strip()
            ),
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
        lease_name=leader_election_id or "pomgate-ingress-controller",
        lease_duration=lease_duration,
        renew_deadline=renew_deadline,
        retry_period=retry_period,
        databroker=databroker_settings,
        shadow=shadow,
        shadow_events=shadow_events,
        shadow_interval=shadow_interval,
    )
    try:
        asyncio.run(run_controller(settings))
    except KeyboardInterrupt:
        pass
    except OSError as err:  # e.g. a probe or metrics port in use
        typer.echo(f"pomgate controller: {err}", err=True)
        raise typer.Exit(1) from None
