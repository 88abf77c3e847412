"""Access tests kept in the repository: who may open which URL, read from `.pomgate/access.yaml`.

The file is a YAML list; each item is one expectation::

    - as: {email: alice@example.com, groups: [admins]}   # or: anonymous, or just an email
      request: GET https://grafana.example.com/admin      # method optional (GET)
      expect: allow                                        # allow, deny or not-found
      name: admins open grafana's admin page               # optional
      headers: {Origin: https://app.example.com}           # optional
      from: 10.1.2.3                                       # optional: the client's address
      environment: prod                                    # optional: judge it in this environment only

The file comes from the repository under review, so it is read as data only (YAML's safe
composer, no tags, no aliases), bounded in size, and every problem is reported with its line.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

import yaml

from pomgate.config import DEFAULT_ACCESS_TESTS
from pomgate.translation.evaluation import ANONYMOUS, Identity, Request

DEFAULT_PATH: Final = DEFAULT_ACCESS_TESTS
#: Largest access-test file read (bytes).
MAX_SIZE: Final = 1_000_000
EXPECTATIONS: Final = ("allow", "deny", "not-found")
_ITEM_KEYS: Final = ("as", "request", "expect", "name", "headers", "from", "environment")
_IDENTITY_KEYS: Final = ("email", "user", "groups", "claims")
_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"})
TUNNEL_SCHEMES: Final = ("tcp+https", "udp+https")


@dataclass(frozen=True)
class AccessTest:
    """One expectation of the file."""

    line: int
    identity: Identity
    method: str
    url: str
    expect: str
    name: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    source_ip: str | None = None
    environment: str | None = None

    @property
    def request(self) -> Request:
        """The request the route's policy sees."""
        path = urlsplit(self.url).path or "/"
        return Request(method=self.method, path=path, headers=dict(self.headers), source_ip=self.source_ip)

    @property
    def title(self) -> str:
        """How the test is named in reports: its name, else `who METHOD URL`."""
        return self.name or f"{self.identity.describe()} {self.method} {self.url}"

    def key(self) -> str:
        """What the test says (not where it is): tests are compared across revisions by this."""
        who = self.identity
        return json.dumps(
            [
                [who.signed_in, who.email, who.user_id, sorted(who.groups), sorted(who.claims.items())],
                [self.method, self.url, sorted(self.headers.items()), self.source_ip, self.environment],
                self.expect,
            ],
            default=str,
        )


@dataclass(frozen=True)
class TestFileProblem:
    """An item (or the file) that is not a valid access test."""

    line: int
    message: str


class _Invalid(ValueError):
    def __init__(self, node: yaml.Node, message: str) -> None:
        super().__init__(message)
        self.line = node.start_mark.line + 1


def parse_access_tests(text: str) -> tuple[list[AccessTest], list[TestFileProblem]]:
    """The tests of a file and the problems of the items that are not tests (each with its line)."""
    if len(text) > MAX_SIZE:
        return [], [TestFileProblem(1, f"the access-test file is larger than {MAX_SIZE:,} bytes; not read")]
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        return [], [TestFileProblem(line, f"invalid YAML: {getattr(err, 'problem', None) or err}")]
    if root is None:
        return [], []
    if not isinstance(root, yaml.SequenceNode):
        return [], [TestFileProblem(root.start_mark.line + 1, "the access-test file must be a list of tests")]
    tests: list[AccessTest] = []
    problems: list[TestFileProblem] = []
    for item in root.value:
        try:
            tests.append(_test(item))
        except _Invalid as err:
            problems.append(TestFileProblem(err.line, str(err)))
    return tests, problems


def _scalar(node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or node.tag not in (
        "tag:yaml.org,2002:str",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool",
    ):
        raise _Invalid(node, f"{what} must be a text value")
    return str(node.value)


def _mapping(node: yaml.Node, what: str, keys: tuple[str, ...]) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise _Invalid(node, f"{what} must be a mapping")
    found: dict[str, yaml.Node] = {}
    for key_node, value in node.value:
        key = _scalar(key_node, "a key")
        if key not in keys:
            raise _Invalid(key_node, f"unknown key {key!r} in {what}; known: {', '.join(keys)}")
        if key in found:
            raise _Invalid(key_node, f"{key!r} is given twice in {what}")
        found[key] = value
    return found


def _strings(node: yaml.Node, what: str) -> list[str]:
    if isinstance(node, yaml.ScalarNode):
        return [_scalar(node, what)]
    if not isinstance(node, yaml.SequenceNode):
        raise _Invalid(node, f"{what} must be a list of text values")
    return [_scalar(item, what) for item in node.value]


def _claim_value(node: yaml.ScalarNode) -> Any:
    """A claim value as the IdP would send it (YAML's own types: numbers and booleans stay typed)."""
    return yaml.safe_load(yaml.serialize(node)) if node.tag != "tag:yaml.org,2002:str" else node.value


def _identity(node: yaml.Node) -> Identity:
    if isinstance(node, yaml.ScalarNode):
        text = _scalar(node, "as")
        if text == "anonymous":
            return ANONYMOUS
        if "@" not in text:
            raise _Invalid(node, f"as: {text!r} is neither `anonymous` nor an email address; use a mapping for more")
        return Identity(email=text)
    keys = _mapping(node, "as", _IDENTITY_KEYS)
    claims: dict[str, tuple[Any, ...]] = {}
    if "claims" in keys:
        for name, value in _mapping(keys["claims"], "claims", _keys_of(keys["claims"], "claims")).items():
            items = value.value if isinstance(value, yaml.SequenceNode) else [value]
            scalars = [item for item in items if isinstance(item, yaml.ScalarNode)]
            if len(scalars) != len(items):
                raise _Invalid(value, f"claim {name} must be a value or a list of values")
            claims[name] = tuple(_claim_value(item) for item in scalars)
    return Identity(
        email=_scalar(keys["email"], "email") if "email" in keys else "",
        user_id=_scalar(keys["user"], "user") if "user" in keys else None,
        groups=frozenset(_strings(keys["groups"], "groups")) if "groups" in keys else frozenset(),
        claims=claims,
    )


def _keys_of(node: yaml.Node, what: str) -> tuple[str, ...]:
    """Every key of a free-form mapping (claims, headers)."""
    if not isinstance(node, yaml.MappingNode):
        raise _Invalid(node, f"{what} must map names to values")
    return tuple(_scalar(key, f"a name in {what}") for key, _value in node.value)


def _request(node: yaml.Node) -> tuple[str, str]:
    text = _scalar(node, "request").strip()
    method, _, rest = text.partition(" ")
    if rest and method.upper() in _METHODS:
        url = rest.strip()
        method = method.upper()
    else:
        url, method = text, "GET"
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http", *TUNNEL_SCHEMES) or not parts.hostname:
        raise _Invalid(node, f"request: {url!r} is not an https:// (or tcp+https://, udp+https://) URL with a host")
    if parts.scheme in TUNNEL_SCHEMES:
        method = "CONNECT"
    return method, url


def _test(node: yaml.Node) -> AccessTest:
    keys = _mapping(node, "a test", _ITEM_KEYS)
    for required in ("as", "request", "expect"):
        if required not in keys:
            raise _Invalid(node, f"a test needs `{required}:` (as, request and expect are required)")
    expect = _scalar(keys["expect"], "expect")
    if expect not in EXPECTATIONS:
        raise _Invalid(keys["expect"], f"expect: {expect!r} must be one of {', '.join(EXPECTATIONS)}")
    method, url = _request(keys["request"])
    headers = {}
    if "headers" in keys:
        headers = {
            name: _scalar(value, f"header {name}")
            for name, value in _mapping(keys["headers"], "headers", _keys_of(keys["headers"], "headers")).items()
        }
    source_ip = None
    if "from" in keys:
        source_ip = _scalar(keys["from"], "from")
        try:
            ipaddress.ip_address(source_ip)
        except ValueError:
            raise _Invalid(keys["from"], f"from: {source_ip!r} is not an IP address") from None
    return AccessTest(
        line=node.start_mark.line + 1,
        identity=_identity(keys["as"]),
        method=method,
        url=url,
        expect=expect,
        name=_scalar(keys["name"], "name") if "name" in keys else "",
        headers=headers,
        source_ip=source_ip,
        environment=_scalar(keys["environment"], "environment") if "environment" in keys else None,
    )
