"""What Pomerium core rejects after translation (route-validation.md), and RE2 regex checks.

Envoy compiles `regex` paths and rewrite patterns with RE2. Patterns are only ever compiled with
google-re2 here (linear time, Go-compatible syntax); Python's `re` is consulted only to explain why a
pattern that looks fine elsewhere is rejected.

Linear is not cheap: RE2 builds a Unicode class such as `\\PL` under `(?i)` in about 0.1 ms, so a
60 KB path regex of them takes seconds. Each regex is bounded before RE2 sees it (`regex_cost`
at most `MAX_REGEX_COST`) and while it compiles (RE2's `max_mem`); an Ingress's regexes together
by its `IngressBudget`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import time
import warnings
from collections import OrderedDict
from typing import Any
from urllib.parse import urlsplit

import re2

from pomgate.translation.budget import IngressBudget
from pomgate.translation.errors import Problem
from pomgate.translation.ppl import PolicyError, validate_policy_structure
from pomgate.translation.route import SecretValue, UnknownValue
from pomgate.translation.values import JsonValueError, YamlValueError, parse_first_document, to_json_value

CHAIN = "config validation: "

REGEX_FIELDS = ("regex", "regex_rewrite_pattern", "host_path_regex_rewrite_pattern")

#: RE2's memory limit for one compiled regex. 8 MiB is RE2's default and what Envoy compiles with,
#: so a pattern refused here is refused by Envoy too; a lower limit would refuse regexes Envoy takes
#: (a `[\pL\pN_-]{1,64}` slug needs 2 MiB). Compiling up to it takes at most ~0.3 s.
RE2_MAX_MEM = 8 << 20
#: How costly a regex may look before it is compiled: its length in characters, where each Unicode
#: class escape (`\p`, `\P`) counts `UNICODE_CLASS_COST` (RE2 parses `(?i)[\PL\PL…]` at ~70 µs per
#: character, anything else under 5 µs). Patterns at the cap compiled in 0.02-0.16 s here.
MAX_REGEX_COST = 16 * 1024
UNICODE_CLASS_COST = 64
#: RE2's message when a program exceeds `max_mem`.
_TOO_LARGE = "pattern too large"

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_RE2_OPTIONS.max_mem = RE2_MAX_MEM

#: Seconds the first compile of a costly pattern took. google-re2 keeps the last 128 compiled
#: patterns, so compiling one again is free; the budget is charged what it cost the first time.
#: Bounded LRU, larger than google-re2's cache: while RE2 still holds a pattern, so does this.
_COMPILE_SECONDS: OrderedDict[str, float] = OrderedDict()
_COMPILE_SECONDS_ENTRIES = 512
#: Compiles faster than this are not worth remembering.
_COSTLY_COMPILE = 0.002


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


def reduced_depends_on(entries: list[str]) -> list[str]:
    """``depends_on`` as Pomerium stores it once validated: URL entries reduced to their host (and port)."""
    reduced: list[str] = []
    for entry in entries:
        if isinstance(entry, str) and "/" in entry:
            parts = urlsplit(entry)
            if parts.scheme and parts.netloc:
                entry = parts.netloc.rpartition("@")[2]
        reduced.append(entry)
    return reduced


@functools.lru_cache(maxsize=4096)
def _to_url(url: str) -> tuple[str, str | None]:
    """The scheme of one `to` URL and what Pomerium says when parsing it fails (None: it parses)."""
    try:
        parts = urlsplit(url)
    except ValueError as err:  # an unbalanced "[" or "]" in the host (a Service name the API server refuses)
        return url.partition(":")[0], f"error parsing to URLs: {url}: {err}"
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
    """Why RE2 (Envoy, Go) rejects ``pattern`` or pomgate will not compile it, or None when it compiles."""
    verdict = check_regex(pattern, label)
    return verdict[1] if verdict else None


def regex_cost(pattern: str) -> int:
    """How costly ``pattern`` is to compile, in characters (a Unicode class counts `UNICODE_CLASS_COST`)."""
    return len(pattern) + UNICODE_CLASS_COST * (pattern.count("\\p") + pattern.count("\\P"))


def check_regex(pattern: str, label: str, budget: IngressBudget | None = None) -> tuple[str, str] | None:
    """(rule, reason) when ``pattern`` is refused: `regex/re2` (RE2 cannot compile it) or `regex/too-costly`.

    The compile is counted in ``budget`` (what it cost the first time, when RE2's cache answers).
    """
    cost = regex_cost(pattern)
    if cost > MAX_REGEX_COST:
        classes = (cost - len(pattern)) // UNICODE_CLASS_COST
        size = (
            f"its cost is {cost:,} ({len(pattern):,} characters plus {UNICODE_CLASS_COST} for each of its "
            f"{classes:,} Unicode classes \\p, \\P)"
            if classes
            else f"it is {len(pattern):,} characters long"
        )
        reason = f"{label} {abbreviated(pattern)} is too costly to compile: {size}, over the {MAX_REGEX_COST:,}"
        return "regex/too-costly", f"{reason} pomgate compiles"
    if budget is not None:
        budget.compiled += 1
    started = time.perf_counter()
    try:
        re2.compile(pattern, options=_RE2_OPTIONS)
    except re2.error as err:
        reason = err.args[0] if err.args else str(err)
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        if reason.startswith(_TOO_LARGE):
            return (
                "regex/too-costly",
                f"{label} {abbreviated(pattern)} is too costly to compile: RE2 refuses it ({reason}): its program "
                f"needs more than the {RE2_MAX_MEM >> 20} MiB RE2 (and Envoy) allow one regex",
            )
        note = ""
        if _python_accepts(pattern):
            note = " (Python and PCRE accept it, but RE2 has no lookaround or backreferences)"
        return "regex/re2", f"{label} {pattern!r} is not a valid RE2 regular expression: {reason}{note}"
    _charge_cached(pattern, time.perf_counter() - started, budget)
    return None


def over_budget_reason(pattern: str, label: str, budget: IngressBudget) -> str:
    """The `regex/too-costly` text for the first regex an Ingress had no budget left for."""
    return (
        f"{label} {abbreviated(pattern)} was not compiled: this Ingress's regexes used up its translation "
        f"budget of {budget.seconds:g} s after {budget.compiled} of them"
    )


def _charge_cached(pattern: str, seconds: float, budget: IngressBudget | None) -> None:
    """Remember what a costly compile took; charge ``budget`` what a cached one saved."""
    first = _COMPILE_SECONDS.get(pattern)
    if first is not None:
        _COMPILE_SECONDS.move_to_end(pattern)
        if budget is not None and first > seconds:
            budget.charge(first - seconds)
    elif seconds >= _COSTLY_COMPILE:
        _COMPILE_SECONDS[pattern] = seconds
        if len(_COMPILE_SECONDS) > _COMPILE_SECONDS_ENTRIES:
            _COMPILE_SECONDS.popitem(last=False)


def abbreviated(pattern: str, keep: int = 60) -> str:
    """``pattern`` quoted, its middle left out when it is long (findings and events stay short)."""
    if len(pattern) <= keep:
        return repr(pattern)
    return f"{pattern[: keep - 20] + '…' + pattern[-12:]!r} ({len(pattern):,} characters)"


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
