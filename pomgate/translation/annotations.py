"""Applying `ingress.pomerium.io/*` annotations to a route template (annotations.md).

Upstream stops at the first error; pomgate keeps going so that one run shows every problem. The
first error in upstream's order is still the one its event would show (the Ingress' ``error``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pomgate.findings import FieldPath, Severity
from pomgate.translation import annotation_table as table
from pomgate.translation.errors import Problem
from pomgate.translation.ppl import PolicyError, validate_policy
from pomgate.translation.protojson import ProtoDecodeError, decode_policy_options, decode_route_options
from pomgate.translation.references import SecretEntry
from pomgate.translation.route import SecretValue, UnknownValue
from pomgate.translation.values import (
    JsonValueError,
    YamlValueError,
    copy_containers,
    parse_annotation_value,
    parse_first_document,
    remember,
    to_json_value,
)

HTTP01_SOLVER_LABEL = "acme.cert-manager.io/http01-solver"
SA_TOKEN_TYPE = "kubernetes.io/service-account-token"


@dataclass(frozen=True)
class Flags:
    """The "handled elsewhere" annotations: on only when the text lower-cases to `true`."""

    path_regex: bool = False
    secure_upstream: bool = False
    service_proxy_upstream: bool = False
    tcp_upstream: bool = False
    udp_upstream: bool = False
    ssh_upstream: bool = False
    subtle_allow_empty_host: bool = False


def read_flags(annotations: Mapping[str, str], prefix: str) -> Flags:
    """Read the flag annotations (never an error: anything but `true` is off)."""

    def on(name: str) -> bool:
        return annotations.get(f"{prefix}/{name}", "").lower() == "true"

    return Flags(
        path_regex=on("path_regex"),
        secure_upstream=on("secure_upstream"),
        service_proxy_upstream=on("service_proxy_upstream"),
        tcp_upstream=on("tcp_upstream"),
        udp_upstream=on("udp_upstream"),
        ssh_upstream=on("ssh_upstream"),
        subtle_allow_empty_host=on("subtle_allow_empty_host"),
    )


def is_http01_solver(labels: Mapping[str, str]) -> bool:
    return labels.get(HTTP01_SOLVER_LABEL, "").lower() == "true"


def secret_annotation_names(annotations: Mapping[str, str], prefix: str) -> list[tuple[str, str]]:
    """(annotation key, Secret name) of every annotation the controller fetches a Secret for.

    Upstream fetches for every key that starts with the prefix (no slash needed) and ends in
    ``_secret``, even when the name would later be rejected as unknown.
    """
    return [
        (key, value) for key, value in sorted(annotations.items()) if key.startswith(prefix) and key.endswith("_secret")
    ]


@dataclass
class AnnotationResult:
    """Route fields set by annotations and the problems met."""

    fields: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


SecretResolver = Callable[[str], SecretEntry | None]


class _Applier:
    def __init__(
        self, annotations: Mapping[str, str], prefix: str, resolve_secret: SecretResolver, *, live: bool = False
    ) -> None:
        self.prefix = prefix
        self.live = live
        self.resolve_secret = resolve_secret
        self.values: dict[str, str] = {}
        self.keys: dict[str, str] = {}
        for key, value in annotations.items():
            if key.startswith(prefix + "/"):
                name = key[len(prefix) + 1 :]
                self.values[name] = value
                self.keys[name] = key
        self.out = AnnotationResult()

    # ------------------------------------------------------------ helpers
    def field_of(self, name: str) -> FieldPath:
        return ("metadata", "annotations", self.keys.get(name, f"{self.prefix}/{name}"))

    def fail(
        self,
        rule: str,
        name: str,
        chain: str,
        *,
        detail: str | None = None,
        hint: str | None = None,
        severity: Severity = Severity.ERROR,
        token: str | None = None,
    ) -> None:
        self.out.problems.append(
            Problem(
                rule=rule,
                chain=chain,
                field=self.field_of(name),
                severity=severity,
                detail=detail,
                hint=hint,
                token=token,
            )
        )

    def present(self, names: frozenset[str]) -> list[str]:
        return sorted(n for n in self.values if n in names)

    # ------------------------------------------------------------ stage 1: names
    def check_names(self) -> None:
        for name in sorted(self.values):
            if name in table.UNSUPPORTED:
                self.fail(
                    "annotation/allowed-groups",
                    name,
                    "parsing ingress: annotations: " + table.ALLOWED_GROUPS_MESSAGE.format(prefix=self.prefix),
                    detail="older Pomerium documentation still lists it; group membership now goes in a `policy` "
                    "annotation with the `groups` or `claim/groups` criterion",
                    hint='ingress.pomerium.io/policy: \'[{"allow":{"or":[{"claim/groups":"admins"}]}}]\'',
                )
            elif table.group_of(name) is None:
                replacement, note = table.suggest(name)
                detail_parts = []
                if replacement:
                    detail_parts.append(f"did you mean {self.prefix}/{replacement}?")
                if note:
                    detail_parts.append(note)
                self.fail(
                    "annotation/unknown",
                    name,
                    f"parsing ingress: annotations: unknown {self.prefix}/{name}",
                    detail="; ".join(detail_parts) or None,
                    hint=f"{self.prefix}/{replacement}" if replacement else None,
                )

    # ------------------------------------------------------------ base and policy lists
    def apply_typed(self, names: list[str], decode: Decoder, chain_prefix: str) -> None:
        for name in names:
            text = self.values[name]
            decoded = _decoded_value(decode, name, text)
            if isinstance(decoded, YamlValueError):
                self.fail("annotation/yaml", name, f"{chain_prefix}{name}: {decoded}")
            elif isinstance(decoded, (ProtoDecodeError, JsonValueError)):
                self.fail("annotation/value", name, f"{chain_prefix}{decoded}", detail=_value_detail(text))
            else:
                self.out.fields.update(copy_containers(decoded))

    def apply_base(self) -> None:
        self.apply_typed(self.present(table.BASE), decode_route_options, "parsing ingress: annotations: ")

    def apply_policy(self) -> None:
        chain = "parsing ingress: annotations: applying policy annotations: "
        self.apply_typed(self.present(table.POLICY_LISTS), decode_policy_options, chain)
        if "policy" not in self.values:
            return
        verdict = _policy_value(self.values["policy"])
        if not isinstance(verdict, Exception):
            self.out.fields["policy"] = copy_containers(verdict)
        elif isinstance(verdict, PolicyError):
            detail = None
            suggestion = getattr(verdict, "suggestion", None)
            if getattr(verdict, "enterprise_only", False):
                detail = "this criterion exists only in Pomerium Enterprise/Zero; the open-source controller rejects it"
            elif suggestion:
                detail = f"did you mean {suggestion!r}?"
            if "unsupported conditional" in str(verdict) and "parsing policy: invalid rules" not in chain:
                extra = (
                    "Pomerium's documentation quotes this error as older controller versions worded it: "
                    "`parsing policy: invalid rules in policy: ...`"
                )
                detail = f"{detail}; {extra}" if detail else extra
            token = next((part for part in reversed(verdict.path) if isinstance(part, str)), None)
            self.fail(
                "policy/invalid", "policy", f"{chain}couldn't parse policy: {verdict}", detail=detail, token=token
            )
        else:
            self.fail("policy/invalid", "policy", f"{chain}couldn't parse policy: {verdict}")

    # ------------------------------------------------------------ secrets
    def secret_for(self, name: str) -> SecretEntry | None:
        return self.resolve_secret(self.values[name])

    def secret_missing_key(self, name: str, printed_key: str, real_key: str, secret: SecretEntry) -> None:
        detail = (
            None if printed_key == real_key else f"the missing key is {real_key}; upstream always prints ca.crt here"
        )
        self.fail(
            "secret/missing-key",
            name,
            f"parsing ingress: annotations: annotation {name} references secret {secret.name}, "
            f"key {printed_key} has no data",
            detail=detail,
        )

    def apply_tls_secrets(self) -> None:
        for name in self.present(table.TLS_SECRETS):
            secret = self.secret_for(name)
            if secret is None:
                self._mark_unknown_tls(name)
                continue
            if name == "tls_client_secret":
                results = {}
                for key, target in (("tls.crt", "tls_client_cert"), ("tls.key", "tls_client_key")):
                    if secret.has_key(key) is False:
                        self.secret_missing_key(name, "ca.crt", key, secret)
                        break
                    results[target] = self._secret_b64(secret, key)
                else:
                    self.out.fields.update(results)
                continue
            target = "tls_custom_ca" if name == "tls_custom_ca_secret" else "tls_downstream_client_ca"
            if secret.has_key("ca.crt") is False:
                self.secret_missing_key(name, "ca.crt", "ca.crt", secret)
                continue
            self.out.fields[target] = self._secret_b64(secret, "ca.crt")

    def _mark_unknown_tls(self, name: str) -> None:
        reason = f"Secret {self.values[name]} is not in the input"
        if name == "tls_client_secret":
            self.out.fields["tls_client_cert"] = UnknownValue(reason)
            self.out.fields["tls_client_key"] = UnknownValue(reason)
        else:
            target = "tls_custom_ca" if name == "tls_custom_ca_secret" else "tls_downstream_client_ca"
            self.out.fields[target] = UnknownValue(reason)

    def _secret_b64(self, secret: SecretEntry, key: str) -> SecretValue | UnknownValue:
        value = secret.value(key)
        if isinstance(value, bytes):
            return SecretValue(base64.b64encode(value).decode("ascii"), secret.ref, key)
        return value if isinstance(value, UnknownValue) else UnknownValue(f"key {key} of Secret {secret.ref}")

    def _secret_text(self, secret: SecretEntry, key: str) -> SecretValue | UnknownValue:
        value = secret.value(key)
        if isinstance(value, bytes):
            return SecretValue(value.decode("utf-8", "replace"), secret.ref, key)
        return value if isinstance(value, UnknownValue) else UnknownValue(f"key {key} of Secret {secret.ref}")

    def require_type(self, name: str, secret: SecretEntry, wanted: str) -> bool:
        if secret.secret_type is None or secret.secret_type == wanted:
            return True
        self.fail(
            "secret/type",
            name,
            f"parsing ingress: annotations: annotation {name} secret is expected to have type {wanted}, "
            f"got {secret.secret_type}",
            hint=f"type: {wanted}",
        )
        return False

    def apply_secrets(self, mcp_server_mode: bool) -> None:
        for name in self.present(table.SECRETS):
            secret = self.secret_for(name)
            if name == "kubernetes_service_account_token_secret":
                self._apply_sa_token(name, secret)
            elif name in ("set_request_headers_secret", "set_response_headers_secret"):
                self._apply_header_secret(name, secret)
            elif name == "identity_provider_secret":
                if secret is None:
                    self.out.fields["idp_client_id"] = UnknownValue(f"Secret {self.values[name]} is not in the input")
                    self.out.fields["idp_client_secret"] = UnknownValue(
                        f"Secret {self.values[name]} is not in the input"
                    )
                elif self.require_type(name, secret, "Opaque"):
                    for key, target in (("client_id", "idp_client_id"), ("client_secret", "idp_client_secret")):
                        if secret.has_key(key) is not False:
                            self.out.fields[target] = self._secret_text(secret, key)
            elif name == "mcp_server_upstream_oauth2_secret":
                self._apply_mcp_secret(name, secret, mcp_server_mode)

    def _apply_sa_token(self, name: str, secret: SecretEntry | None) -> None:
        if secret is None:
            self.out.fields["kubernetes_service_account_token"] = UnknownValue(
                f"Secret {self.values[name]} is not in the input"
            )
            return
        if not self.require_type(name, secret, SA_TOKEN_TYPE):
            return
        # Upstream looks the key up (an empty token is still a token).
        missing = "token" not in secret.data if secret.data is not None else secret.has_key("token") is False
        if missing:
            if secret.data is not None and secret.secret_type == SA_TOKEN_TYPE and not self.live:
                # Kubernetes' token controller fills `token` in the cluster; a manifest never holds it.
                self.fail(
                    "secret/token-filled-by-cluster",
                    name,
                    f"Secret {secret.ref} has no `token` key in the input; Kubernetes fills it for "
                    "service-account-token Secrets once applied (upstream fails the Ingress until then: "
                    f"annotation {name}: secret must have token key)",
                    severity=Severity.INFO,
                )
                self.out.fields["kubernetes_service_account_token"] = UnknownValue(
                    f"token of Secret {secret.ref}, filled in by Kubernetes"
                )
                return
            self.fail(
                "secret/missing-key",
                name,
                f"parsing ingress: annotations: annotation {name}: secret must have token key",
            )
            return
        self.out.fields["kubernetes_service_account_token"] = self._secret_text(secret, "token")

    def _apply_header_secret(self, name: str, secret: SecretEntry | None) -> None:
        target = name[: -len("_secret")]
        inline = self.out.fields.get(target)
        merged: dict[str, Any] = dict(inline) if isinstance(inline, dict) else {}
        if secret is None:
            if merged:
                self.fail(
                    "secret/header-keys-unknown",
                    name,
                    f"Secret {self.values[name]} (named by {self.prefix}/{name}) is not in the input, so pomgate "
                    f"cannot check that its keys do not overlap {self.prefix}/{target}",
                    severity=Severity.INFO,
                )
            return
        if not self.require_type(name, secret, "Opaque"):
            return
        if secret.keys is None:
            if merged:
                self.fail(
                    "secret/header-keys-unknown",
                    name,
                    f"the keys of {secret.producer or 'Secret'} {secret.ref} are not visible in the input, so "
                    f"pomgate cannot check that they do not overlap {self.prefix}/{target}",
                    severity=Severity.INFO,
                )
            return
        for key in sorted(secret.keys):
            if key in merged:
                self.out.problems.append(
                    Problem(
                        rule="secret/header-overlap",
                        chain=f"parsing ingress: annotations: annotation {name}: secret contains key {key} "
                        "that was already specified by a non-secret rule",
                        field=self.field_of(target) if target in self.keys else self.field_of(name),
                        detail=f"Secret {secret.ref} and {self.prefix}/{target} both set {key}",
                        hint=f"remove {key!r} from {self.prefix}/{target} or from the Secret",
                        related=[f"Secret {secret.ref}"],
                    )
                )
                return
            merged[key] = self._secret_text(secret, key)
        self.out.fields[target] = merged

    def _apply_mcp_secret(self, name: str, secret: SecretEntry | None, server_mode: bool) -> None:
        if secret is None:
            if server_mode:
                oauth = self._mcp_oauth()
                oauth["client_id"] = UnknownValue(f"Secret {self.values[name]} is not in the input")
                oauth["client_secret"] = UnknownValue(f"Secret {self.values[name]} is not in the input")
            return
        if not self.require_type(name, secret, "Opaque"):
            return
        has_id, has_secret = secret.has_key("client_id"), secret.has_key("client_secret")
        if has_id is False and has_secret is False:
            self.fail(
                "secret/missing-key",
                name,
                f"parsing ingress: annotations: annotation {name}: secret must "
                "have at least one of client_id or client_secret keys",
            )
            return
        if not server_mode:
            self.fail(
                "annotation/mcp-secret-unused",
                name,
                f"{self.prefix}/{name} has no effect without an mcp_server annotation (the controller discards it)",
                severity=Severity.WARNING,
            )
            return
        oauth = self._mcp_oauth()
        if has_id is not False:
            oauth["client_id"] = self._secret_text(secret, "client_id")
        if has_secret is not False:
            oauth["client_secret"] = self._secret_text(secret, "client_secret")

    # ------------------------------------------------------------ MCP
    def _mcp_server(self) -> dict[str, Any]:
        mcp = self.out.fields.setdefault("mcp", {})
        server: dict[str, Any] = mcp.setdefault("server", {})
        return server

    def _mcp_oauth(self) -> dict[str, Any]:
        oauth: dict[str, Any] = self._mcp_server().setdefault("upstream_oauth2", {})
        return oauth

    def mcp_server_mode(self) -> bool:
        return any(n in self.values for n in table.MCP_SERVER)

    def apply_mcp(self) -> None:
        server_names = self.present(table.MCP_SERVER)
        client = "mcp_client" in self.values
        chain = "parsing ingress: annotations: "
        if server_names and client:
            self.fail(
                "annotation/mcp", "mcp_client", f"{chain}cannot specify both MCP server and client configurations"
            )
            return
        if client:
            value = self.values["mcp_client"]
            if value not in ("true", ""):
                self.fail(
                    "annotation/mcp",
                    "mcp_client",
                    f"{chain}mcp_client annotation should be 'true' or omitted, got {_go_quote(value)}",
                )
                return
            self.out.fields["mcp"] = {"client": {}}
            return
        if not server_names:
            return
        self._mcp_server()
        for name in server_names:
            value = self.values[name]
            if name == "mcp_server":
                if value not in ("true", ""):
                    self.fail(
                        "annotation/mcp",
                        name,
                        f"{chain}mcp_server annotation should be 'true' or omitted, got {_go_quote(value)}",
                    )
                continue
            if value == "":
                continue
            self._apply_mcp_value(name, value, chain)

    def _apply_mcp_value(self, name: str, value: str, chain: str) -> None:
        server = self._mcp_server()
        if name == "mcp_server_max_request_bytes":
            number = _parse_uint32(value)
            if isinstance(number, str):
                self.fail(
                    "annotation/mcp", name, f"{chain}invalid max_request_bytes value {_go_quote(value)}: {number}"
                )
            else:
                server["max_request_bytes"] = number
        elif name == "mcp_server_path":
            server["path"] = value
        elif name == "mcp_server_authorization_server_url":
            server["authorization_server_url"] = value
        elif name in ("mcp_server_upstream_oauth2_auth_url", "mcp_server_upstream_oauth2_token_url"):
            key = name.rsplit("_", 2)[-2] + "_url"
            self._mcp_oauth().setdefault("endpoint", {})[key] = value
        elif name == "mcp_server_upstream_oauth2_scopes":
            self._mcp_oauth()["scopes"] = [item.strip() for item in value.split(",")]
        elif name == "mcp_server_upstream_oauth2_auth_style":
            if value not in ("in_params", "in_header"):
                self.fail(
                    "annotation/mcp",
                    name,
                    f"{chain}invalid mcp_server_upstream_oauth2_auth_style "
                    f"{_go_quote(value)}: must be 'in_params' or 'in_header'",
                )
            else:
                self._mcp_oauth().setdefault("endpoint", {})["auth_style"] = value
        elif name == "mcp_server_upstream_oauth2_authorization_url_params":
            params = _string_map(value)
            if isinstance(params, str):
                self.fail(
                    "annotation/mcp",
                    name,
                    f"{chain}invalid mcp_server_upstream_oauth2_authorization_url_params: {params}",
                )
            else:
                self._mcp_oauth()["authorization_url_params"] = params

    # ------------------------------------------------------------ upstream tunnel
    def apply_tunnel(self) -> None:
        if "upstream_tunnel" in self.values or "upstream_tunnel_ssh_policy" in self.values:
            tunnel: dict[str, Any] = {}
            if "upstream_tunnel_ssh_policy" in self.values:
                tunnel["ssh_policy"] = self.values["upstream_tunnel_ssh_policy"]
            self.out.fields["upstream_tunnel"] = tunnel

    def run(self) -> AnnotationResult:
        self.check_names()
        self.apply_base()
        self.apply_tls_secrets()
        server_mode = self.mcp_server_mode() and "mcp_client" not in self.values
        self.apply_secrets(server_mode)
        self.apply_mcp()
        self.apply_tunnel()
        self.apply_policy()
        return self.out


Decoder = Callable[[Mapping[str, Any]], dict[str, Any]]

#: Decoded values by (decoder, annotation name, text), and policies by text: clusters and repositories
#: repeat the same values on many Ingresses, so each is decoded once per process. Entries are the
#: decoded value or the error met; callers get copies (bounded, see `remember`).
_DECODED: dict[tuple[Decoder, str, str], dict[str, Any] | Exception] = {}
_POLICIES: dict[str, Any] = {}


def _decoded_value(decode: Decoder, name: str, text: str) -> dict[str, Any] | Exception:
    """``decode({name: value of text})``, or the YAML/JSON/protobuf error it meets (memoized)."""
    key = (decode, name, text)
    known = _DECODED.get(key)
    if known is None:
        try:
            known = decode({name: parse_annotation_value(text)})
        except (YamlValueError, ProtoDecodeError, JsonValueError) as err:
            known = err.with_traceback(None)  # kept: its frames need not be
        remember(_DECODED, key, known, text=text)
    return known


def _policy_value(text: str) -> Any:
    """The policy annotation as a validated JSON value, or the error met (memoized; do not mutate)."""
    known = _POLICIES.get(text, _POLICIES)
    if known is _POLICIES:
        try:
            document, found = parse_first_document(text)
            if not found:
                raise PolicyError("EOF")
            known = to_json_value(document)
            validate_policy(known)
        except (YamlValueError, JsonValueError, PolicyError) as err:
            known = err.with_traceback(None)
        remember(_POLICIES, text, known, text=text)
    return known


def apply_annotations(
    annotations: Mapping[str, str], prefix: str, resolve_secret: SecretResolver, *, live: bool = False
) -> AnnotationResult:
    """Apply every prefixed annotation; return the template fields and the problems met.

    ``live``: the Secrets are the cluster's (controller mode), so nothing is left for the cluster to fill in.
    """
    return _Applier(annotations, prefix, resolve_secret, live=live).run()


def _go_quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _value_detail(text: str) -> str | None:
    shown = text if len(text) <= 80 else text[:77] + "..."
    return f"the annotation value is {shown!r}"


def _parse_uint32(text: str) -> int | str:
    if not text.isdigit() or not text.isascii():
        return f"strconv.ParseUint: parsing {_go_quote(text)}: invalid syntax"
    number = int(text)
    if number > 0xFFFFFFFF:
        return f"strconv.ParseUint: parsing {_go_quote(text)}: value out of range"
    return number


def _string_map(text: str) -> dict[str, str] | str:
    try:
        value = parse_annotation_value(text)
    except YamlValueError as err:
        return str(err)
    if value is None:
        return {}
    if not isinstance(value, dict):
        return f"yaml: unmarshal errors: cannot unmarshal {type(value).__name__} into map[string]string"
    out: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, (dict, list)):
            return f"yaml: unmarshal errors: cannot unmarshal {type(item).__name__} value of {key!r} into string"
        out[str(key)] = "" if item is None else (str(item).lower() if isinstance(item, bool) else str(item))
    return out
