"""Routes and certificates as Pomerium's `pomerium.config.Config` message, and back.

No I/O. The translator's routes are config.yaml mappings (what `pomgate render --format json`
prints); `encode_route` turns one into the `Route` message the upstream controller writes to the
databroker, `decode_route` turns a `Route` message back into that mapping. The differences between
the two forms are few and handled here:

- the allow-list fields (`allowed_users`, `allowed_domains`, `allowed_idp_claims`) and the PPL
  `policy` live in the route's single sub-policy (`policies[0]`), as upstream puts them. For a PPL
  policy upstream stores the annotation text as `source_ppl` and the Rego module Pomerium's generator
  writes for it as `rego` (Pomerium enforces the Rego); `encode_route` does the same with
  `pomgate.translation.rego.render_rego`. `decode_route` reads the policy back from `source_ppl`,
  parsed as the translator parses the annotation, and ignores `rego`: it is derived from the PPL;
- `upstream_tunnel.ssh_policy` is the annotation text in config.yaml and `PPLPolicy.raw` bytes in
  protobuf, as upstream stores it (no Rego: upstream's controller writes none there);
- enums: config.yaml spellings (`idp_access_token`, `ROUND_ROBIN`) <-> protobuf names;
- `Route.StringList` fields are plain lists in config.yaml;
- durations: Go syntax (`1m30s`) in config.yaml, seconds (`90s`) in protobuf JSON; decoding gives
  the seconds form;
- `stat_name` is set on encoding (upstream sets it) and dropped on decoding (render shows no stat_name).

A whole config is concatenated from encoded routes (`config_bytes`): a repeated message field is
its items' encodings one after another, so a change re-encodes only the Ingresses it touched.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from pomgate.controller import protos
from pomgate.translation.ppl import PolicyError, rules_of
from pomgate.translation.rego import UnsupportedCriterion, render_rego
from pomgate.translation.values import (
    JsonValueError,
    YamlValueError,
    go_duration_nanoseconds,
    parse_first_document,
    to_json_value,
)

#: config.yaml keys that live in the route's sub-policy.
POLICY_KEYS = ("allowed_users", "allowed_domains", "allowed_idp_claims")
_BEARER = {
    "default": "BEARER_TOKEN_FORMAT_DEFAULT",
    "idp_access_token": "BEARER_TOKEN_FORMAT_IDP_ACCESS_TOKEN",
    "idp_identity_token": "BEARER_TOKEN_FORMAT_IDP_IDENTITY_TOKEN",
    "jwt": "BEARER_TOKEN_FORMAT_JWT",
}
_BEARER_BACK = {value: key for key, value in _BEARER.items()}
_BALANCING_PREFIX = "LOAD_BALANCING_POLICY_"
_STRING_LISTS = ("allow_upgrades", "idp_access_token_allowed_audiences")
_DURATION = "google.protobuf.Duration"


class EncodeError(ValueError):
    """A route the databroker output cannot carry faithfully (the message says which field and why)."""


def encode_route(fields: Mapping[str, Any], stat_name: str = "", policy_source: str | None = None) -> bytes:
    """One config.yaml route (plain JSON values, secrets shown) as an encoded `pomerium.config.Route`.

    ``policy_source`` is the text of the route's `policy` annotation (upstream's `source_ppl`); when
    it is not known, the policy's JSON stands in for it (it parses to the same document).
    """
    return bytes(route_message(fields, stat_name, policy_source).SerializeToString(deterministic=True))


def route_message(fields: Mapping[str, Any], stat_name: str = "", policy_source: str | None = None) -> Any:
    """One config.yaml route as a `pomerium.config.Route` message (see the module docstring)."""
    data = dict(fields)
    policy: dict[str, Any] = {key: data.pop(key) for key in POLICY_KEYS if key in data}
    if "policy" in data:
        document = data.pop("policy")
        document_json = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        policy["source_ppl"] = document_json if policy_source is None else policy_source
        policy["rego"] = [policy_rego(document_json)]
    data["policies"] = [policy]
    tunnel = data.get("upstream_tunnel")
    if isinstance(tunnel, dict) and isinstance(tunnel.get("ssh_policy"), str):
        raw = base64.b64encode(tunnel["ssh_policy"].encode("utf-8")).decode()
        data["upstream_tunnel"] = {**tunnel, "ssh_policy": {"raw": raw}}
    if "bearer_token_format" in data:
        data["bearer_token_format"] = _BEARER.get(str(data["bearer_token_format"]), data["bearer_token_format"])
    if "load_balancing_policy" in data:
        data["load_balancing_policy"] = _BALANCING_PREFIX + str(data["load_balancing_policy"]).upper()
    for key in _STRING_LISTS:
        if isinstance(data.get(key), list):
            data[key] = {"values": data[key]}
    if stat_name:
        data["stat_name"] = stat_name
    message = protos.Route()
    try:
        json_format.ParseDict(_proto_durations(data, message.DESCRIPTOR), message)
    except json_format.ParseError as err:
        raise EncodeError(f"databroker output: {err}") from None
    return message


def decode_route(message: Any) -> dict[str, Any]:
    """A `pomerium.config.Route` as the config.yaml mapping `pomgate render --format json` prints."""
    data: dict[str, Any] = json_format.MessageToDict(message, preserving_proto_field_name=True)
    data.pop("stat_name", None)
    for policy in data.pop("policies", None) or []:
        for key in POLICY_KEYS:
            if key in policy:
                data[key] = policy[key]
        if "source_ppl" in policy:  # `rego` is derived from it: the PPL is the policy (see the docstring)
            data["policy"] = ppl_document(policy["source_ppl"])
    if "bearer_token_format" in data:
        data["bearer_token_format"] = _BEARER_BACK.get(data["bearer_token_format"], data["bearer_token_format"])
    if "load_balancing_policy" in data:
        data["load_balancing_policy"] = str(data["load_balancing_policy"]).removeprefix(_BALANCING_PREFIX)
    for key in _STRING_LISTS:
        if isinstance(data.get(key), dict):
            data[key] = list(data[key].get("values") or [])
    tunnel = data.get("upstream_tunnel")
    if isinstance(tunnel, dict) and isinstance(tunnel.get("ssh_policy"), dict):
        raw = base64.b64decode(str(tunnel["ssh_policy"].get("raw") or ""))
        tunnel["ssh_policy"] = raw.decode("utf-8", errors="replace")
    return data


@functools.lru_cache(maxsize=4096)
def policy_rego(document_json: str) -> str:
    """The Rego module Pomerium generates for a PPL document (given as JSON text; memoized).

    The translator has already accepted the policy, so an error here means the Rego renderer and
    the validator disagree; it is reported as an `EncodeError` naming the policy.
    """
    try:
        return render_rego(rules_of(json.loads(document_json)))
    except (PolicyError, UnsupportedCriterion) as err:
        raise EncodeError(f"databroker output: generating the policy's Rego: {err}") from None


def ppl_document(source: str) -> Any:
    """A stored `source_ppl` as the JSON value the translator makes of a `policy` annotation.

    The text is parsed as the annotation is (yaml.v3's first document, then Go's JSON view of it);
    text that does not parse is returned as it is (a shadow comparison then shows it).
    """
    try:
        document, _found = parse_first_document(source)
        return to_json_value(document)
    except (YamlValueError, JsonValueError):
        return source


def _proto_durations(value: Any, descriptor: Descriptor) -> Any:
    """``value`` (JSON for ``descriptor``) with Go-syntax durations rewritten as protobuf's seconds."""
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        field = descriptor.fields_by_name.get(key) or _by_json_name(descriptor, key)
        if field is None or field.message_type is None:
            out[key] = item
            continue
        target = field.message_type
        if target.full_name == _DURATION:
            out[key] = [_seconds(x) for x in item] if isinstance(item, list) else _seconds(item)
        elif target.GetOptions().map_entry:
            out[key] = item
        elif isinstance(item, list):
            out[key] = [_proto_durations(x, target) for x in item]
        else:
            out[key] = _proto_durations(item, target)
    return out


def _by_json_name(descriptor: Descriptor, key: str) -> FieldDescriptor | None:
    for field in descriptor.fields:
        if field.json_name == key:
            return field
    return None


def _seconds(value: Any) -> Any:
    """A Go duration (``1m30s``) as protobuf JSON (``90s``); anything else unchanged (ParseDict judges)."""
    if not isinstance(value, str) or (value.endswith("s") and _is_seconds(value)):
        return value
    nanoseconds = go_duration_nanoseconds(value)
    if nanoseconds is None:
        return value
    sign = "-" if nanoseconds < 0 else ""
    whole, fraction = divmod(abs(nanoseconds), 1_000_000_000)
    return f"{sign}{whole}.{fraction:09d}".rstrip("0").rstrip(".") + "s" if fraction else f"{sign}{whole}s"


def _is_seconds(text: str) -> bool:
    body = text[:-1].removeprefix("-")
    whole, _, fraction = body.partition(".")
    return whole.isdigit() and (not fraction or fraction.isdigit())


# --------------------------------------------------------------------------- certificates


def encode_certificate(cert_pem: bytes, key_pem: bytes) -> bytes:
    """One `Settings.Certificate` (PEM certificate chain and key) encoded."""
    return bytes(protos.Certificate(cert_bytes=cert_pem, key_bytes=key_pem).SerializeToString(deterministic=True))


def certificate_from_config(item: Mapping[str, Any]) -> bytes:
    """A config.yaml certificate (``cert``/``key``: base64 PEM) as an encoded `Settings.Certificate`."""
    return encode_certificate(
        base64.b64decode(str(item.get("cert") or "")), base64.b64decode(str(item.get("key") or ""))
    )


# --------------------------------------------------------------------------- whole configs


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte = number & 0x7F
        number >>= 7
        if number:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _length_delimited(field_number: int, payload: bytes) -> bytes:
    return _varint(field_number << 3 | 2) + _varint(len(payload)) + payload


def config_route_field(route: bytes) -> bytes:
    """An encoded Route framed as one item of `Config.routes` (ready to concatenate)."""
    return _length_delimited(2, route)


def config_bytes(routes: Iterable[bytes], certificates: Sequence[bytes], *, framed: bool = False) -> bytes:
    """An encoded `pomerium.config.Config` from encoded routes (in order) and certificates.

    With ``framed`` the routes are already `config_route_field` items (the reconciler frames each
    route once, when it is translated, so a change costs one concatenation). Certificates are sorted
    by their encoding, which starts with the certificate bytes: upstream sorts them by certificate bytes.
    """
    parts = list(routes) if framed else [config_route_field(route) for route in routes]
    if certificates:
        settings = b"".join(_length_delimited(9, cert) for cert in sorted(certificates))
        parts.append(_length_delimited(3, settings))
    return b"".join(parts)


def decode_config(data: bytes) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """An encoded Config as (config.yaml routes, certificates as ``{cert, key}`` base64 PEM)."""
    config = protos.Config.FromString(data)
    routes = [decode_route(route) for route in config.routes]
    certificates = [
        {"cert": base64.b64encode(cert.cert_bytes).decode(), "key": base64.b64encode(cert.key_bytes).decode()}
        for cert in config.settings.certificates
    ]
    return routes, certificates


def route_identity(route: Mapping[str, Any]) -> tuple[str, str] | None:
    """(namespace, Ingress name) from a route's id (``{"n":..,"ns":..,..}``), or None if it has none."""
    try:
        parsed = json.loads(str(route.get("id") or ""))
    except ValueError:
        return None
    if not isinstance(parsed, dict) or "n" not in parsed or "ns" not in parsed:
        return None
    return str(parsed["ns"]), str(parsed["n"])
