"""What Pomerium core rejects after translation (route-validation.md), and RE2 regex checks.

Envoy compiles `regex` paths and rewrite patterns with RE2. Patterns are only ever compiled with
google-re2 here (linear time, Go-compatible syntax); Python's `re` is consulted only to explain why a
pattern that looks fine elsewhere is rejected.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import warnings
from typing import Any
from urllib.parse import urlsplit

import re2

from pomgate.translation.errors import Problem
from pomgate.translation.ppl import PolicyError, validate_policy_structure
from pomgate.translation.route import SecretValue, UnknownValue
from pomgate.translation.values import JsonValueError, YamlValueError, parse_first_document, to_json_value

CHAIN = "config validation: "

REGEX_FIELDS = ("regex", "regex_rewrite_pattern", "host_path_regex_rewrite_pattern")

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


def core_validation_problems(fields: dict[str, Any]) -> list[Problem]:
    """Pomerium's conversion and Policy.Validate checks for one route (first failure only)."""
    problem = _first_core_problem(fields)
    return [problem] if problem else []


def _first_core_problem(fields: dict[str, Any]) -> Problem | None:
    schemes: set[str] = set()
    for url in fields.get("to") or []:
        if not isinstance(url, str):
            continue
        scheme, problem = _to_url(url)
        if problem:
            return _core(problem)
        schemes.add(scheme)
    tunnel = fields.get("upstream_tunnel")
    if isinstance(tunnel, dict) and isinstance(tunnel.get("ssh_policy"), str):
        try:
            document, found = parse_first_document(tunnel["ssh_policy"])
            if found:
                validate_policy_structure(to_json_value(document))
        except (YamlValueError, JsonValueError, PolicyError) as err:
            return _core(f"error converting upstream tunnel: {err}", rule="policy/ssh-policy-invalid")
    for kind in ("tcp", "udp"):
        if kind in schemes and len(schemes) > 1:
            return _core(f"config: cannot mix {kind} and non-{kind} To URLs")
    if fields.get("allow_public_unauthenticated_access") is True and fields.get("allow_any_authenticated_user") is True:
        return _core(
            "config: policy route marked as public but contains whitelists",
            detail="allow_public_unauthenticated_access and allow_any_authenticated_user are both true",
        )
    client_problem = _client_cert_problem(fields)
    if client_problem:
        return client_problem
    for key, label in (("tls_custom_ca", "custom ca"), ("tls_downstream_client_ca", "downstream client ca")):
        value = fields.get(key)
        if isinstance(value, SecretValue):
            try:
                base64.b64decode(value.value, validate=True)
            except (binascii.Error, ValueError) as err:
                return _core(f"config: couldn't decode {label}: {err}")
    if fields.get("prefix_rewrite") and fields.get("regex_rewrite_pattern"):
        return _core("config: only prefix_rewrite or regex_rewrite_pattern can be specified, but not both")
    depends_on = fields.get("depends_on") or []
    if len(depends_on) > 5:
        return _core(f"config: depends_on is limited to 5 additional redirect hosts, got [{' '.join(depends_on)}]")
    for entry in depends_on:
        if "/" in entry:
            parts = urlsplit(entry)
            if not parts.scheme or not parts.hostname:
                return _core(f'config: unsupported depends_on value "{entry}"')
    server = (fields.get("mcp") or {}).get("server") if isinstance(fields.get("mcp"), dict) else None
    if isinstance(server, dict) and server.get("authorization_server_url"):
        url = str(server["authorization_server_url"])
        parts = urlsplit(url)
        if not parts.scheme or not parts.hostname:
            return _core(f"config: invalid mcp authorization_server_url {url}: missing scheme or host")
        if parts.scheme != "https":
            return _core(f'config: mcp authorization_server_url must be https, got "{parts.scheme}"')
    return None


@functools.lru_cache(maxsize=4096)
def _to_url(url: str) -> tuple[str, str | None]:
    """The scheme of one `to` URL and what Pomerium says when parsing it fails (None: it parses)."""
    parts = urlsplit(url)
    if not parts.scheme:
        return "", f"error parsing to URLs: {url}: url scheme must be provided"
    if not parts.hostname and parts.scheme not in ("unix", "https+unix"):
        return parts.scheme, f"error parsing to URLs: {url}: endpoint hostname must be specified"
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as err:
        return parts.scheme, f"error parsing to URLs: {url}: {err}"
    return parts.scheme, None


_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----", re.S)


def pem_blocks(data: bytes) -> list[tuple[str, bytes]] | None:
    """(block type, DER bytes) of every PEM block, or None when a block's body is not base64."""
    blocks: list[tuple[str, bytes]] = []
    for match in _PEM_BLOCK.finditer(data):
        body = b"".join(line for line in match.group(2).split() if b":" not in line)
        try:
            der = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return None
        blocks.append((match.group(1).decode("ascii"), der))
    return blocks


def _client_cert_problem(fields: dict[str, Any]) -> Problem | None:
    cert, key = fields.get("tls_client_cert"), fields.get("tls_client_key")
    if isinstance(cert, UnknownValue) or isinstance(key, UnknownValue):
        return None
    if bool(cert) != bool(key):
        return _core("config: client certificate key and cert both must be non-empty")
    if not isinstance(cert, SecretValue) or not isinstance(key, SecretValue):
        return None
    cert_blocks = pem_blocks(base64.b64decode(cert.value))
    key_blocks = pem_blocks(base64.b64decode(key.value))
    if not cert_blocks or not any(kind == "CERTIFICATE" for kind, _ in cert_blocks):
        return _core("config: couldn't decode client cert tls: failed to find any PEM data in certificate input")
    if not key_blocks or not any(kind.endswith("PRIVATE KEY") for kind, _ in key_blocks):
        return _core("config: couldn't decode client cert tls: failed to find any PEM data in key input")
    return None


def _core(text: str, *, rule: str = "route/validation", detail: str | None = None) -> Problem:
    return Problem(rule=rule, chain=CHAIN + text, detail=detail)


def regex_problem(pattern: str, label: str) -> str | None:
    """Why RE2 (Envoy, Go) rejects ``pattern``, or None when it compiles."""
    try:
        re2.compile(pattern, options=_RE2_OPTIONS)
    except re2.error as err:
        reason = err.args[0] if err.args else str(err)
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        note = ""
        if _python_accepts(pattern):
            note = " (Python and PCRE accept it, but RE2 has no lookaround or backreferences)"
        return f"{label} {pattern!r} is not a valid RE2 regular expression: {reason}{note}"
    return None


def _python_accepts(pattern: str) -> bool:
    if not re.search(r"\(\?[=!<]|\\[1-9]|\(\?P=|\(\?>|[*+?}]\+", pattern):
        return False
    try:
        with warnings.catch_warnings():  # compiled only, never matched; its FutureWarnings are noise here
            warnings.simplefilter("ignore")
            re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return False
    return True
