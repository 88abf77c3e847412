"""Test support: run the Rego module `pomgate.translation.rego` renders with regopy, the Rego engine from PyPI.

What the harness supplies around the generated module (upstream provides these from Go):

* ``get_databroker_record(type, id)`` is an OPA builtin upstream; here a Rego function in a second module
  of the same package reads ``input.databroker_records[type][id]`` (``null`` when absent), so the
  criterion bodies stay as upstream writes them. The records are built from an identity the way the
  databroker holds them (see ``rego_input``).
* regopy has no ``net.cidr_contains_matches``; a ``net`` package written in Rego stands in for it (plain
  IPv4 and IPv6 literals; IPv4-in-IPv6 forms are not understood) and a module that uses it gets one extra
  line, ``import data.net`` (``runnable``).
* ``ssh_verify_user_cert`` (a Go builtin) is a stub that is always false: requests here carry no SSH key.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

import regopy

from pomgate.translation.ppl import Rule
from pomgate.translation.rego import (
    DIRECTORY_USER_RECORD_TYPE,
    PACKAGE,
    SESSION_RECORD_TYPE,
    USER_RECORD_TYPE,
    render_rego,
)

SESSION_ID: Final = "session-1"
UNKNOWN_USER_ID: Final = "user-id-unknown-to-pomgate"


def runnable(module_text: str) -> str:
    """The module as regopy can run it: with ``import data.net`` when it calls ``net.cidr_contains_matches``."""
    if "net.cidr_contains_matches" not in module_text:
        return module_text
    return module_text.replace("import rego.v1\n", "import rego.v1\nimport data.net\n", 1)


# --------------------------------------------------------------------------- harness modules

HARNESS_MODULE: Final = f"""package {PACKAGE}

import rego.v1

# Stand-in for the databroker lookup Pomerium registers as a Go builtin.
get_databroker_record(record_type, record_id) := record if {{
	record := input.databroker_records[record_type][record_id]
}} else := null

# Stand-in for Pomerium's Go builtin; requests in this harness never carry an SSH certificate.
ssh_verify_user_cert(username, publickey, user_cas) := false
"""

NET_MODULE: Final = r"""package net

import rego.v1

# Stand-in for OPA's net.cidr_contains_matches (missing in regopy): [index, address] for every CIDR
# of cidrs that contains address. Plain IPv4 (no leading zeros) and IPv6 (hex groups, optional ::).
# (regopy 1.5.2 does not enumerate a variable that only occurs inside a call's arguments, hence cidr :=.)
cidr_contains_matches(cidrs, address) := {[i, address] |
	some i
	cidr := cidrs[i]
	cidr_contains(cidr, address)
}

cidr_contains(cidr, address) if {
	parts := split(cidr, "/")
	count(parts) == 2
	regex.match(`^[0-9]{1,3}$`, parts[1])
	prefix := to_number(parts[1])
	network := parse_address(parts[0])
	host := parse_address(address)
	network.width == host.width
	prefix <= network.width * count(network.groups)
	differing := [k |
		some k
		network.groups[k]
		ignored := network.width - prefix_bits_in_group(prefix, k, network.width)
		bits.rsh(network.groups[k], ignored) != bits.rsh(host.groups[k], ignored)
	]
	count(differing) == 0
}

# How many of group k's bits the prefix covers. (Not min/max: regopy 1.5.2 orders numbers as text there.)
prefix_bits_in_group(prefix, k, width) := 0 if {
	prefix <= k * width
} else := width if {
	prefix >= (k + 1) * width
} else := prefix - k * width

parse_address(text) := {"width": 8, "groups": octets} if {
	regex.match(`^(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}$`, text)
	octets := [to_number(part) | some part in split(text, ".")]
	count([o | some o in octets; o > 255]) == 0
} else := {"width": 16, "groups": groups} if {
	regex.match(`^[0-9a-fA-F:]*:[0-9a-fA-F:]*$`, text)
	halves := split(text, "::")
	groups := ipv6_groups(halves)
	count(groups) == 8
}

ipv6_groups(halves) := hex_groups(halves[0]) if {
	count(halves) == 1
} else := groups if {
	count(halves) == 2
	head := hex_groups(halves[0])
	tail := hex_groups(halves[1])
	missing := 8 - count(head) - count(tail)
	missing >= 1
	groups := array.concat(array.concat(head, [0 | some _ in numbers.range(1, missing)]), tail)
}

hex_groups(text) := [] if {
	text == ""
} else := values if {
	parts := split(text, ":")
	values := [hex_value(part) | some part in parts]
	count(values) == count(parts)
}

hex_digits := {
	"0": 0, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 7,
	"8": 8, "9": 9, "a": 10, "b": 11, "c": 12, "d": 13, "e": 14, "f": 15,
}

hex_value(text) := value if {
	regex.match(`^[0-9a-fA-F]{1,4}$`, text)
	padded := concat("", [substring("000", 0, 4 - count(text)), lower(text)])
	d := [hex_digits[substring(padded, 0, 1)], hex_digits[substring(padded, 1, 1)],
		hex_digits[substring(padded, 2, 1)], hex_digits[substring(padded, 3, 1)]]
	value := ((d[0] * 4096) + (d[1] * 256)) + ((d[2] * 16) + d[3])
}
"""


# --------------------------------------------------------------------------- identities and requests as input


class IdentityLike(Protocol):
    """What ``rego_input`` reads of ``pomgate.translation.evaluation.Identity``."""

    @property
    def signed_in(self) -> bool: ...
    @property
    def email(self) -> str: ...
    @property
    def user_id(self) -> str | None: ...
    @property
    def groups(self) -> frozenset[str]: ...
    @property
    def claims(self) -> Mapping[str, tuple[Any, ...]]: ...


class RequestLike(Protocol):
    """What ``rego_input`` reads of ``pomgate.translation.evaluation.Request``."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def source_ip(self) -> str | None: ...


_TOKEN_CHARACTERS: Final = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def canonical_header_key(key: str) -> str:
    """Go's ``http.CanonicalHeaderKey`` (``content-type`` -> ``Content-Type``), the keys of ``input.http.headers``."""
    if key.startswith(":"):
        return key.lower()
    if not key or any(char not in _TOKEN_CHARACTERS for char in key):
        return key
    return "-".join(part[:1].upper() + part[1:].lower() for part in key.split("-"))


def databroker_records(identity: IdentityLike) -> dict[str, dict[str, Any]]:
    """The records Pomerium's databroker holds for ``identity`` (none for an anonymous visitor).

    A session ``session-1`` with the user id and the claims (claim values are lists, as in the session
    proto; a scalar becomes a one-value list), the user (id, email) and a directory user (id, email,
    ``group_ids``), as ``evaluate`` assumes. An unknown user id (``None``) becomes a fixed placeholder id
    that no test policy names.
    """
    if not identity.signed_in:
        return {}
    user_id = UNKNOWN_USER_ID if identity.user_id is None else identity.user_id
    claims = {
        name: list(values) if isinstance(values, list | tuple) else [values] for name, values in identity.claims.items()
    }
    return {
        SESSION_RECORD_TYPE: {SESSION_ID: {"id": SESSION_ID, "user_id": user_id, "claims": claims}},
        USER_RECORD_TYPE: {user_id: {"id": user_id, "email": identity.email, "claims": {}}},
        DIRECTORY_USER_RECORD_TYPE: {
            user_id: {"id": user_id, "email": identity.email, "group_ids": sorted(identity.groups)}
        },
    }


def rego_input(identity: IdentityLike, request: RequestLike) -> dict[str, Any]:
    """The ``input`` document of Pomerium's policy evaluation, plus ``databroker_records`` for the harness."""
    return {
        "http": {
            "method": request.method,
            "path": request.path,
            "headers": {canonical_header_key(key): value for key, value in request.headers.items()},
            "client_certificate": {"presented": False},
            "ip": request.source_ip or "",
        },
        "ssh": {"username": "", "publickey": None},
        "mcp": {"id": None},
        "session": {"id": SESSION_ID if identity.signed_in else ""},
        "is_valid_client_certificate": False,
        "databroker_records": databroker_records(identity),
    }


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class RegoVerdict:
    """The ``allow`` and ``deny`` values of one evaluation; access is granted when allowed and not denied."""

    allow: bool
    deny: bool
    allow_reasons: tuple[str, ...]
    deny_reasons: tuple[str, ...]

    @property
    def granted(self) -> bool:
        """True when Pomerium would let the request through (allow and not deny)."""
        return self.allow and not self.deny


class RegoPolicy:
    """A rendered policy compiled into its own regopy interpreter, queried once per identity/request."""

    def __init__(self, module_text: str) -> None:
        self.module_text = module_text
        self._interpreter = regopy.Interpreter()
        self._interpreter.add_module("harness", HARNESS_MODULE)
        self._interpreter.add_module("net", NET_MODULE)
        self._interpreter.add_module("policy", runnable(module_text))
        # A compiled bundle is queried several times faster than a fresh query (which compiles again).
        self._bundle = self._interpreter.build(f"r := [data.{PACKAGE}.allow, data.{PACKAGE}.deny]")
        if not self._bundle.ok():
            raise RuntimeError(f"Rego module does not compile:\n{module_text}")

    def verdict(self, identity: IdentityLike, request: RequestLike) -> RegoVerdict:
        """Evaluate ``data.pomerium.policy.allow`` and ``deny`` for one identity and request."""
        return self.verdict_for_input(rego_input(identity, request))

    def verdict_for_input(self, input_document: Mapping[str, Any]) -> RegoVerdict:
        """Evaluate ``allow`` and ``deny`` for a ready ``input`` document (see ``rego_input``)."""
        self._interpreter.set_input_term(json.dumps(input_document))
        output = self._interpreter.query_bundle(self._bundle)
        if not output.ok() or len(output) != 1:
            raise RuntimeError(f"Rego evaluation failed: {output}\n{self.module_text}")
        allow, deny = output[0]["r"]
        return RegoVerdict(bool(allow[0]), bool(deny[0]), tuple(sorted(allow[1])), tuple(sorted(deny[1])))


@functools.lru_cache(maxsize=32)  # an interpreter holds about 4 MB
def compiled_policy(module_text: str) -> RegoPolicy:
    """The ``RegoPolicy`` of a module text, compiled once per text (the 32 most recent are kept)."""
    return RegoPolicy(module_text)


def rego_verdict(rules: Sequence[Rule], identity: IdentityLike, request: RequestLike) -> RegoVerdict:
    """Render ``rules``, evaluate them with regopy for one identity and request."""
    return compiled_policy(render_rego(rules)).verdict(identity, request)


def rego_decision(rules: Sequence[Rule], identity: IdentityLike, request: RequestLike) -> bool:
    """True when the Rego Pomerium generates for ``rules`` grants ``identity`` the ``request`` (cached per policy).

    In-process; fine for hundreds of calls. For thousands use ``rego_verdicts``: while pytest runs, regopy
    1.5.2 keeps about 130 kB per query of a real policy (not so in a plain Python process).
    """
    return rego_verdict(rules, identity, request).granted


# --------------------------------------------------------------------------- batches in a fresh process


def _evaluate_batch(jobs: Sequence[tuple[str, Mapping[str, Any]]]) -> list[RegoVerdict]:
    verdicts = []
    policy: RegoPolicy | None = None
    for module_text, input_document in jobs:
        if policy is None or policy.module_text != module_text:
            policy = RegoPolicy(module_text)
        verdicts.append(policy.verdict_for_input(input_document))
    return verdicts


def rego_verdicts(jobs: Sequence[tuple[Sequence[Rule], IdentityLike, RequestLike]]) -> list[RegoVerdict]:
    """Verdicts for many (rules, identity, request) jobs, evaluated in one fresh Python process.

    Each module is compiled once per run of consecutive jobs with the same rules. A separate process keeps
    regopy's per-query memory growth under pytest (see ``rego_decision``) out of the test process.
    """
    payload = [[render_rego(rules), rego_input(identity, request)] for rules, identity, request in jobs]
    completed = subprocess.run(
        [sys.executable, "-m", __name__],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=_PROJECT_ROOT,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"Rego batch failed:\n{completed.stderr}")
    return [
        RegoVerdict(allow, deny, tuple(allow_reasons), tuple(deny_reasons))
        for allow, deny, allow_reasons, deny_reasons in json.loads(completed.stdout)
    ]


_PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]


def _main() -> None:
    """Batch worker: JSON ``[[module text, input], ...]`` on stdin, verdicts as JSON lists on stdout."""
    jobs = [(text, document) for text, document in json.load(sys.stdin)]
    rows = [[v.allow, v.deny, list(v.allow_reasons), list(v.deny_reasons)] for v in _evaluate_batch(jobs)]
    json.dump(rows, sys.stdout)


if __name__ == "__main__":
    _main()
