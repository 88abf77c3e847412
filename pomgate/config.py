"""Project configuration: `.pomgate.yaml` or `[tool.pomgate]` in pyproject.toml.

Keys (all optional): ``select`` / ``ignore`` (rule ids or families such as ``routing``),
``severity`` (rule id -> error|warning|info), ``include`` / ``exclude`` (glob patterns matched
against file paths), ``namespace``, ``prefix``, ``controller-name``, ``ingress-class``, ``fail-on``.
"""

from __future__ import annotations

import fnmatch
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pomgate.findings import Finding, Severity

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
}


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

    def setting(self, key: str, cli_value: str | None, default: str) -> str:
        """The command-line value if given, else this file's, else the built-in default."""
        if cli_value is not None:
            return cli_value
        return self.settings.get(key, default)

    def apply(self, findings: list[Finding]) -> list[Finding]:
        """Drop findings of unselected/ignored rules or excluded files; apply severity overrides."""
        kept: list[Finding] = []
        for finding in findings:
            if self.select and not _matches_rule(finding.rule, self.select):
                continue
            if _matches_rule(finding.rule, self.ignore):
                continue
            if finding.path and not self.wants_path(finding.path):
                continue
            if finding.rule in self.severity:
                finding.severity = self.severity[finding.rule]
            kept.append(finding)
        return kept

    def wants_path(self, path: str) -> bool:
        """Whether findings in ``path`` are reported under include/exclude."""
        normalized = path.replace(os.sep, "/")
        if self.include and not any(fnmatch.fnmatch(normalized, pattern) for pattern in self.include):
            return False
        return not any(fnmatch.fnmatch(normalized, pattern) for pattern in self.exclude)


def _matches_rule(rule: str, patterns: list[str]) -> bool:
    return any(rule == p or rule.startswith(p.rstrip("/*") + "/") for p in patterns)


def find_config(start: Path | None = None) -> Path | None:
    """The nearest configuration file from ``start`` (default: cwd) upwards, stopping at a git root."""
    directory = (start or Path.cwd()).resolve()
    for folder in (directory, *directory.parents):
        for name in CONFIG_FILES:
            candidate = folder / name
            if candidate.is_file() and (name != "pyproject.toml" or _has_tool_section(candidate)):
                return candidate
        if (folder / ".git").exists():
            break
    return None


def _has_tool_section(path: Path) -> bool:
    try:
        return "pomgate" in tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {})
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False


def load_config(path: Path | None) -> Config:
    """Read and validate a configuration file (None: an empty configuration)."""
    if path is None:
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read configuration: {err}") from err
    if path.name == "pyproject.toml":
        try:
            data: Any = tomllib.loads(text).get("tool", {}).get("pomgate", {})
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{path}: {err}") from err
    else:
        import yaml

        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as err:
            raise ConfigError(f"{path}: invalid YAML: {err}") from err
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}")
    config = Config(path=str(path))
    for key in ("select", "ignore", "include", "exclude"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{path}: {key} must be a list of strings")
        setattr(config, key, value)
    severities = data.get("severity", {})
    if not isinstance(severities, dict):
        raise ConfigError(f"{path}: severity must map rule ids to error, warning or info")
    for rule, level in severities.items():
        if level not in ("error", "warning", "info"):
            raise ConfigError(f"{path}: severity of {rule} must be error, warning or info, not {level!r}")
        config.severity[str(rule)] = Severity(level)
    for key in ("namespace", "prefix", "controller-name", "ingress-class", "fail-on"):
        if key in data:
            if not isinstance(data[key], str):
                raise ConfigError(f"{path}: {key} must be a string")
            config.settings[key] = data[key]
    return config
