"""Project configuration: `.pomgate.yaml` or `[tool.pomgate]` in pyproject.toml.

Keys (all optional): ``select`` / ``ignore`` (rule ids or families such as ``routing``),
``severity`` (rule id or family -> error|warning|info; an id wins over its family), ``include`` /
``exclude`` (.gitignore patterns, via `pathspec`, matched against the reported file paths:
``charts/``, ``charts`` and ``charts/**`` all mean the folder), ``namespace``, ``prefix``,
``controller-name``, ``ingress-class``, ``fail-on``, ``controller-version`` (the upstream controller
release the cluster runs, default the newest known; annotations added later are reported),
``hosts`` (host pattern -> the namespaces allowed to serve it), ``build`` (false: read every file
as it is, without kustomize or Helm), ``environments`` (name -> patterns of the roots that land in one
cluster, so cross-object rules see them together), ``access-tests`` (the access-test file, relative to
the configuration file; default: the nearest ``.pomgate/access.yaml``).

A rule id or family no rule has, in ``select``, ``ignore`` or ``severity``, is a `ConfigError` with
the nearest known names (did you mean ...?).

`pomgate diff` reads the file from the base revision (`pomgate.diff.run.diff_configuration`), so a
pull request cannot loosen its own gate; `loosening` says what a changed file would loosen.
"""

from __future__ import annotations

import difflib
import os
import posixpath
import tomllib
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pomgate.findings import Finding, Severity
from pomgate.translation.annotation_table import CURRENT_CONTROLLER_VERSION, Version, parse_version

if TYPE_CHECKING:
    import pathspec

CONFIG_FILES = (".pomgate.yaml", ".pomgate.yml", "pyproject.toml")
_KEYS = {
    "select",
    "ignore",
    "severity",
    "include",
    "exclude",
    "namespace",
    "prefix",
    "controller-name",
    "ingress-class",
    "fail-on",
    "hosts",
    "build",
    "environments",
    "access-tests",
    "controller-version",
}
#: Settings that change which objects are read and how (compared by `loosening`), with their defaults.
_SETTING_DEFAULTS = {
    "namespace": "default",
    "prefix": "ingress.pomerium.io",
    "controller-name": "pomerium.io/ingress-controller",
    "ingress-class": "pomerium",
}
#: Where the access tests are when the configuration does not say (next to it, or above the input).
DEFAULT_ACCESS_TESTS = ".pomgate/access.yaml"
#: fail-on values from strictest to loosest.
_FAIL_ON_ORDER = ("info", "warning", "error", "never")
#: How many names a loosening lists before "and N more".
_LISTED = 6


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the file."""


@dataclass
class Config:
    """Settings read from a configuration file (empty when none was found)."""

    path: str | None = None
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, Severity] = field(default_factory=dict)
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)
    #: host pattern (``app.example.com``, ``*.example.com`` or ``*``) -> namespaces allowed to serve it
    hosts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: False: no kustomize or Helm builds, every manifest is read as it is
    build: bool = True
    #: environment name -> patterns (``clusters/prod/*``) of the roots and applications it groups
    environments: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: the access-test file, relative to this file (None: the nearest `.pomgate/access.yaml`)
    access_tests: str | None = None
    #: the upstream controller release the cluster runs, as written (None: the newest known)
    controller_version: str | None = None

    @property
    def controller_release(self) -> Version:
        """`controller_version` as a comparable version (the newest known release when unset)."""
        parsed = parse_version(self.controller_version or CURRENT_CONTROLLER_VERSION)
        assert parsed is not None, "parse_config checks the version"
        return parsed

    def setting(self, key: str, cli_value: str | None, default: str) -> str:
        """The command-line value if given, else this file's, else the built-in default."""
        if cli_value is not None:
            return cli_value
        return self.settings.get(key, default)

    def apply(self, findings: list[Finding]) -> list[Finding]:
        """Drop findings of unselected/ignored rules or excluded files; apply severity overrides."""
        kept: list[Finding] = []
        for finding in findings:
            if not self.reports(finding.rule):
                continue
            if finding.path and not self.wants_path(finding.path):
                continue
            override = self.severity_for(finding.rule)
            if override is not None:
                finding.severity = override
            kept.append(finding)
        return kept

    def severity_for(self, rule: str) -> Severity | None:
        """The configured severity of ``rule``: its own entry, else its family's (None: the rule's default)."""
        if rule in self.severity:
            return self.severity[rule]
        family = rule.split("/", 1)[0]
        for key in (family, family + "/", family + "/*"):
            if key in self.severity:
                return self.severity[key]
        return None

    def reports(self, rule: str) -> bool:
        """Whether findings of ``rule`` are kept under select/ignore."""
        if self.select and not _matches_rule(rule, self.select):
            return False
        return not _matches_rule(rule, self.ignore)

    def wants_path(self, path: str) -> bool:
        """Whether findings in ``path`` are reported under include/exclude."""
        normalized = _pattern_path(path)
        if self.include and not _path_spec(tuple(self.include)).match_file(normalized):
            return False
        return not (self.exclude and _path_spec(tuple(self.exclude)).match_file(normalized))


def _pattern_path(path: str) -> str:
    """A reported path as .gitignore patterns see it: ``/`` separators, no leading ``./`` or ``/``."""
    normalized = path.replace(os.sep, "/")
    while normalized.startswith("./"):
        normalized = normalized[2:]
    return normalized.lstrip("/")


@lru_cache(maxsize=64)
def _path_spec(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    """The patterns compiled with .gitignore rules (``dir/`` and ``dir`` match everything below it)."""
    import pathspec  # (only a configuration with include/exclude needs it)

    return pathspec.GitIgnoreSpec.from_lines(patterns)


def _matches_rule(rule: str, patterns: list[str]) -> bool:
    return any(rule == p or rule.startswith(p.rstrip("/*") + "/") for p in patterns)


# ---------------------------------------------------------------- rule ids in the configuration


def rule_name_problem(pattern: str) -> str | None:
    """Why ``pattern`` (an id, a family, ``family/`` or ``family/*``) names no rule, with a did-you-mean."""
    from pomgate.rules import all_rules

    catalog = all_rules()
    families = {rule.family for rule in catalog.values()}
    whole_family = pattern.endswith(("/", "/*"))
    stem = pattern.removesuffix("*").removesuffix("/") if whole_family else pattern
    if stem in families or (not whole_family and stem in catalog):
        return None
    if whole_family:
        candidates = difflib.get_close_matches(stem, sorted(families), n=3, cutoff=0.6)
    else:
        candidates = nearest_rule_names(pattern)
    what = "rule family" if whole_family else "rule id or family"
    hint = f"; did you mean {' or '.join(candidates)}?" if candidates else ""
    return f"unknown {what} {pattern!r}{hint}"


def nearest_rule_names(name: str) -> list[str]:
    """Known rule ids and families close to ``name`` (a bare rule name finds its full id), best first."""
    from pomgate.rules import all_rules

    catalog = all_rules()
    by_name: dict[str, list[str]] = {}
    for rule_id in catalog:
        by_name.setdefault(rule_id.split("/", 1)[1], []).append(rule_id)
    names = sorted({*catalog, *(rule.family for rule in catalog.values())})
    found = difflib.get_close_matches(name, names, n=3, cutoff=0.75)
    for short in difflib.get_close_matches(name.rsplit("/", 1)[-1], sorted(by_name), n=2, cutoff=0.75):
        found.extend(rule_id for rule_id in by_name[short] if rule_id not in found)
    return found[:3]


def _check_rule_names(key: str, patterns: Collection[str], source: str) -> None:
    for pattern in patterns:
        problem = rule_name_problem(pattern)
        if problem is not None:
            raise ConfigError(f"{source}: {key}: {problem} (`pomgate rules` lists them)")


# ---------------------------------------------------------------- finding and reading the file


def folders_up(start: Path) -> Iterator[Path]:
    """``start`` (resolved) and its parents, nearest first, up to and including a git work tree's root."""
    directory = start.resolve()
    for folder in (directory, *directory.parents):
        yield folder
        if (folder / ".git").exists():
            return


def repository_folders_up(folder: str) -> list[str]:
    """A repository-relative ``folder`` and its parents, nearest first, down to the root ('')."""
    folders = []
    current = folder.strip("/")
    while current:
        folders.append(current)
        current = posixpath.dirname(current)
    folders.append("")
    return folders


def find_config(start: Path | None = None) -> Path | None:
    """The nearest configuration file from ``start`` (default: cwd) upwards, stopping at a git root."""
    for folder in folders_up(start or Path.cwd()):
        for name in CONFIG_FILES:
            candidate = folder / name
            if candidate.is_file() and (name != "pyproject.toml" or _has_tool_section(candidate)):
                return candidate
    return None


def config_candidates(folder: str) -> list[str]:
    """Where `find_config` looks, as repository-relative paths, nearest first, from ``folder`` ('' = root) up."""
    folders = repository_folders_up(folder)
    return [posixpath.join(where, name) if where else name for where in folders for name in CONFIG_FILES]


def is_config_file(path: str, text: str) -> bool:
    """Whether a file found at a candidate path counts (a pyproject.toml only with a [tool.pomgate] section)."""
    if posixpath.basename(path) != "pyproject.toml":
        return True
    try:
        return "pomgate" in tomllib.loads(text).get("tool", {})
    except tomllib.TOMLDecodeError:
        return False


def _has_tool_section(path: Path) -> bool:
    try:
        return is_config_file(path.name, path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return False


def load_config(path: Path | None) -> Config:
    """Read and validate a configuration file (None: an empty configuration)."""
    if path is None:
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read configuration: {err}") from err
    return parse_config(text, str(path), pyproject=path.name == "pyproject.toml")


def parse_config(text: str, source: str, *, pyproject: bool) -> Config:
    """Validate the text of a configuration file; ``source`` names it in messages and in ``Config.path``."""
    if pyproject:
        try:
            data: Any = tomllib.loads(text).get("tool", {}).get("pomgate", {})
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{source}: {err}") from err
    else:
        import yaml

        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as err:
            raise ConfigError(f"{source}: invalid YAML: {err}") from err
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the configuration must be a mapping")
    unknown = sorted(str(key) for key in set(data) - _KEYS)
    if unknown:
        raise ConfigError(f"{source}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}")
    config = Config(path=source)
    for key in ("select", "ignore", "include", "exclude"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{source}: {key} must be a list of strings")
        setattr(config, key, value)
    _check_rule_names("select", config.select, source)
    _check_rule_names("ignore", config.ignore, source)
    severities = data.get("severity", {})
    if not isinstance(severities, dict):
        raise ConfigError(f"{source}: severity must map rule ids to error, warning or info")
    for rule, level in severities.items():
        if level not in ("error", "warning", "info"):
            raise ConfigError(f"{source}: severity of {rule} must be error, warning or info, not {level!r}")
        config.severity[str(rule)] = Severity(level)
    _check_rule_names("severity", config.severity, source)
    for key in ("namespace", "prefix", "controller-name", "ingress-class", "fail-on"):
        if key in data:
            if not isinstance(data[key], str):
                raise ConfigError(f"{source}: {key} must be a string")
            config.settings[key] = data[key]
    config.hosts = _parse_hosts(data.get("hosts", {}), source)
    if not isinstance(data.get("build", True), bool):
        raise ConfigError(f"{source}: build must be true or false")
    config.build = data.get("build", True)
    config.environments = _parse_environments(data.get("environments", {}), source)
    access_tests = data.get("access-tests")
    if access_tests is not None and (not isinstance(access_tests, str) or not access_tests.strip()):
        raise ConfigError(f"{source}: access-tests must be the path of the access-test file, e.g. .pomgate/access.yaml")
    config.access_tests = access_tests
    version = data.get("controller-version")
    if version is not None:
        if not isinstance(version, str) or parse_version(version) is None:
            raise ConfigError(
                f"{source}: controller-version must be an upstream controller release such as "
                f"{CURRENT_CONTROLLER_VERSION!r} (quoted), not {version!r}"
            )
        config.controller_version = version
    return config


def _parse_environments(value: Any, source: str) -> dict[str, tuple[str, ...]]:
    """``environments:``: names mapped to non-empty lists of root patterns (``clusters/prod/*``)."""
    form = "environments must map names to lists of root patterns, e.g. {prod: [clusters/prod/*]}"
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: {form}")
    groups: dict[str, tuple[str, ...]] = {}
    for name, patterns in value.items():
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{source}: {form}; {name!r} is not a name")
        if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) and p for p in patterns):
            raise ConfigError(f"{source}: environments: {name} must list root patterns, e.g. [clusters/prod/*]")
        groups[name] = tuple(pattern.strip("/") for pattern in patterns)
    return groups


_HOSTS_FORM = "hosts must map host names or *.domain wildcards to lists of namespaces"


def _parse_hosts(value: Any, source: str) -> dict[str, tuple[str, ...]]:
    """The ``hosts:`` mapping, checked strictly: valid host patterns, non-empty lists of valid namespaces."""
    from pomgate.kube.apivalidation import dns1123_label, dns1123_subdomain, wildcard_dns1123_subdomain

    if not isinstance(value, dict):
        raise ConfigError(f"{source}: {_HOSTS_FORM}, e.g. {{app.example.com: [team-a]}}")
    hosts: dict[str, tuple[str, ...]] = {}
    for pattern, namespaces in value.items():
        if not isinstance(pattern, str):
            raise ConfigError(f"{source}: {_HOSTS_FORM}; {pattern!r} is not a string")
        if pattern != "*":
            problems = (wildcard_dns1123_subdomain if "*" in pattern else dns1123_subdomain)(pattern)
            if problems:
                raise ConfigError(
                    f"{source}: hosts: {pattern!r} is not a host name (lowercase, no scheme, port or path), a "
                    f"*.domain wildcard or '*': {problems[0]}"
                )
        if not isinstance(namespaces, list) or not namespaces:
            raise ConfigError(f"{source}: hosts: {pattern} must list the namespaces allowed to serve it, e.g. [team-a]")
        seen: list[str] = []
        for namespace in namespaces:
            if not isinstance(namespace, str) or dns1123_label(namespace):
                raise ConfigError(f"{source}: hosts: {pattern}: {namespace!r} is not a namespace name")
            if namespace in seen:
                raise ConfigError(f"{source}: hosts: {pattern} lists namespace {namespace} twice")
            seen.append(namespace)
        hosts[pattern] = tuple(seen)
    return hosts


# ---------------------------------------------------------------- what a changed file loosens


def loosening(old: Config, new: Config, *, rules: Mapping[str, Severity], paths: Collection[str]) -> list[str]:
    """What ``new`` checks less strictly than ``old``, one phrase each (empty when it only tightens).

    ``rules`` is the catalog (rule id -> default severity); ``paths`` the manifest files the
    include/exclude patterns are tried on.
    """
    found: list[str] = []
    dropped = [rule for rule in rules if old.reports(rule) and not new.reports(rule)]
    if dropped:
        found.append(f"stops reporting {len(dropped)} rule(s) (select/ignore): {_names(dropped)}")
    lowered = []
    for rule, default in rules.items():
        before, after = old.severity_for(rule) or default, new.severity_for(rule) or default
        if new.reports(rule) and after.rank < before.rank:
            lowered.append(f"{rule} {before}->{after}")
    if lowered:
        found.append(f"lowers the severity of {_names(lowered)}")
    found.extend(_path_loosening(old, new, paths))
    for key, fallback in _SETTING_DEFAULTS.items():
        before_value, after_value = old.settings.get(key, fallback), new.settings.get(key, fallback)
        if before_value != after_value:
            found.append(f"changes {key} from {_shown(before_value)} to {_shown(after_value)}")
    before_fail, after_fail = old.settings.get("fail-on", "error"), new.settings.get("fail-on", "error")
    if _fail_rank(after_fail) > _fail_rank(before_fail):
        found.append(f"raises fail-on from {_shown(before_fail)} to {_shown(after_fail)}")
    found.extend(_host_loosening(old.hosts, new.hosts))
    if new.controller_release > old.controller_release:
        before_version = old.controller_version or CURRENT_CONTROLLER_VERSION
        after_version = new.controller_version or CURRENT_CONTROLLER_VERSION
        found.append(
            f"raises controller-version from {_shown(before_version)} to {_shown(after_version)} "
            "(annotations the older controller rejects are no longer reported)"
        )
    if old.access_tests != new.access_tests:
        before_tests, after_tests = old.access_tests or DEFAULT_ACCESS_TESTS, new.access_tests or DEFAULT_ACCESS_TESTS
        found.append(f"moves the access tests from {_shown(before_tests)} to {_shown(after_tests)}")
    return found


def _path_loosening(old: Config, new: Config, paths: Collection[str]) -> Iterator[str]:
    gained = [pattern for pattern in new.exclude if pattern not in old.exclude]
    if gained:
        yield f"excludes {_names([_shown(p) for p in gained])}"
    if new.include and not old.include:
        yield f"checks only files matching {_names([_shown(p) for p in new.include])}"
    elif new.include:
        lost = [pattern for pattern in old.include if pattern not in new.include]
        if lost:
            yield f"no longer includes {_names([_shown(p) for p in lost])}"
    unchecked = sorted(path for path in paths if old.wants_path(path) and not new.wants_path(path))
    if unchecked:
        yield f"leaves {len(unchecked)} manifest file(s) unchecked: {_names(unchecked)}"


def _host_loosening(old: Mapping[str, tuple[str, ...]], new: Mapping[str, tuple[str, ...]]) -> Iterator[str]:
    """Host patterns some namespace may serve under ``new`` but not under ``old``."""
    from pomgate.rules.routing.cross_namespace_host import HostOwners

    before, after = HostOwners(old), HostOwners(new)
    for pattern in sorted(old.keys() | new.keys()):
        allowed_before, allowed_after = before.allowed(pattern), after.allowed(pattern)
        if allowed_before is None:
            continue  # anyone could serve it before
        if allowed_after is None:
            yield f"no longer restricts who serves {_shown(pattern)} (was {', '.join(allowed_before)})"
            continue
        gained = [namespace for namespace in allowed_after if namespace not in allowed_before]
        if gained:
            yield f"lets namespace(s) {', '.join(gained)} serve {_shown(pattern)}"


def _fail_rank(value: str) -> int:
    return _FAIL_ON_ORDER.index(value) if value in _FAIL_ON_ORDER else len(_FAIL_ON_ORDER)


def _shown(value: str) -> str:
    """A value from the file, quoted and cut short (it comes from the change under review)."""
    return repr(value if len(value) <= 60 else value[:57] + "...")


def _names(items: list[str]) -> str:
    shown = ", ".join(items[:_LISTED])
    return shown + (f" and {len(items) - _LISTED} more" if len(items) > _LISTED else "")
