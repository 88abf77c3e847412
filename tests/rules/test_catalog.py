"""The rule catalog: every emitted id is documented, ids match modules, examples behave as documented."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

import pomgate
import pomgate.rules as rules_package
from pomgate.config import parse_config
from pomgate.findings import Finding, Severity
from pomgate.pipeline import analyze_objects
from pomgate.rules import Rule, all_rules
from pomgate.scanning.scan import scan_text
from pomgate.translation.options import TranslateOptions
from tests.helpers import analyze, docs, ingress, service

SOURCE = Path(pomgate.__file__).parent
RULES_DIR = SOURCE / "rules"

#: Families whose ids the scanner, inventory, translator, suppression and environment (build) code emit directly.
EMITTING_FAMILIES = (
    "build",
    "input",
    "annotation",
    "policy",
    "routing",
    "secret",
    "regex",
    "route",
    "reference",
    "suppression",
    "k8s",
)

_ID = re.compile(r"^[a-z0-9]+/[a-z0-9]+(?:-[a-z0-9]+)*$")
#: Rule checks in pomgate/rules emit ``rule=RULE.id``; a literal there must be a keyword argument.
_RULE_KEYWORD = re.compile(r"""\brule=["']([a-z0-9]+/[a-z0-9-]+)["']""")
#: translator.py builds ``reference/<kind>-missing`` from the kinds passed to ``self.missing``.
_DYNAMIC_MISSING = 'f"reference/{kind.lower()}-missing"'
_MISSING_CALL = re.compile(r"""self\.missing\(\s*["'](\w+)["']""")

#: Examples that cannot be reproduced from manifest text alone.
NOT_RUNNABLE = {
    "input/not-found": "needs a path on the command line that does not exist",
    "input/unreadable": "needs file-system permissions; the example is a shell listing",
    "input/not-text": "needs raw bytes that are not UTF-8; the example shows them escaped",
    "input/yaml-too-deep": "needs a document nested more than 256 levels; the example is abbreviated",
    "input/file-too-large": "needs a file over 32 MiB (tests/hardening/test_resource_bounds.py makes one)",
    "input/link-not-followed": "needs symbolic links in a folder; the example is a listing",
    "build/kustomize-failed": "needs a kustomize build of a folder; tests/environments/ covers it",
    "build/remote-reference": "needs a folder of kustomizations to plan; tests/environments/ covers it",
    "build/outside-repository": "needs a folder of kustomizations to plan; tests/environments/ covers it",
    "build/chart-not-rendered": "needs a chart folder and no helm on PATH; the example is a shell listing",
    "build/helm-failed": "needs helm on PATH and a chart folder; the example shows two files of the chart",
    "build/application-elsewhere": "needs a repository and its git remotes; tests/environments/ covers it",
    "build/application-path-missing": "needs a repository's folders and git remotes to compare the path with",
    "access/test-failed": "needs a .pomgate/access.yaml beside the manifests; tests/access/ runs such files",
    "access/test-unresolved": "needs a .pomgate/access.yaml beside the manifests; tests/access/ runs such files",
    "access/test-invalid": "needs a .pomgate/access.yaml beside the manifests; tests/access/ runs such files",
    "input/empty": "needs an input without any object; the example is a shell command",
    "reference/service-port-unknown": "folded into the reference/service-missing finding of its Service "
    "(tests/rules/test_issue19_config_and_rules.py)",
}
#: Translate options an example needs.
OPTIONS: dict[str, dict[str, Any]] = {
    "reference/endpoints-missing": {"live": True},  # only checked in controller mode
}


def _families() -> list[str]:
    return sorted({*EMITTING_FAMILIES, *(p.name for p in RULES_DIR.iterdir() if (p / "__init__.py").is_file())})


@cache
def emitted_ids() -> frozenset[str]:
    """Every rule id that pomgate's source emits (quoted literals plus the dynamic reference ids)."""
    families = "|".join(_families())
    literal = re.compile(rf"""["']((?:{families})/[a-z0-9][a-z0-9-]*)["']""")
    found: set[str] = set()
    for path in sorted(SOURCE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        pattern = _RULE_KEYWORD if RULES_DIR in path.parents else literal
        found.update(pattern.findall(text))
    translator = (SOURCE / "translation" / "translator.py").read_text(encoding="utf-8")
    assert _DYNAMIC_MISSING in translator, "the dynamic reference id changed: update this test"
    kinds = set(_MISSING_CALL.findall(translator))
    assert kinds, "no self.missing(<kind>, ...) calls found in translator.py: update this test"
    found.update(f"reference/{kind.lower()}-missing" for kind in kinds)
    return frozenset(found)


def _rule_modules() -> Iterator[tuple[str, Any]]:
    """Modules of the family packages (pomgate.rules.<family>.<name>), private helpers (``_x``) excepted."""
    for info in pkgutil.walk_packages(rules_package.__path__, prefix="pomgate.rules."):
        parts = info.name.split(".")
        if info.ispkg or len(parts) != 4 or parts[-1].startswith("_"):
            continue
        yield info.name, importlib.import_module(info.name)


# ---------------------------------------------------------------- completeness


def test_the_dynamic_reference_ids_are_collected() -> None:
    ids = emitted_ids()
    assert {"reference/secret-missing", "reference/service-missing"} <= ids
    assert {"reference/endpoints-missing", "reference/service-port-unknown", "input/duplicate-object"} <= ids


def test_every_emitted_rule_id_is_in_the_catalog() -> None:
    missing = sorted(emitted_ids() - set(all_rules()))
    assert not missing, f"rule ids emitted by pomgate but missing from pomgate/rules: {missing}"


def test_every_descriptor_rule_is_emitted_somewhere() -> None:
    """A rule without a check only documents an id; that id must still be emitted by the code."""
    stale = sorted(rid for rid, rule in all_rules().items() if rule.check is None and rid not in emitted_ids())
    assert not stale, f"catalog entries without a check that nothing emits: {stale}"


# ---------------------------------------------------------------- ids, modules and metadata


def test_rule_ids_are_family_slash_kebab_and_match_their_module() -> None:
    seen: set[str] = set()
    for module_name, module in _rule_modules():
        rule = getattr(module, "RULE", None)
        assert isinstance(rule, Rule), f"{module_name} has no RULE"
        assert _ID.match(rule.id), f"{rule.id} is not family/kebab-name"
        family, name = rule.id.split("/")
        assert module_name == f"pomgate.rules.{family}.{name.replace('-', '_')}", f"{rule.id} lives in {module_name}"
        seen.add(rule.id)
    assert seen == set(all_rules())


def test_every_family_package_has_a_summary_docstring() -> None:
    for family in sorted({rule.family for rule in all_rules().values()}):
        doc = importlib.import_module(f"pomgate.rules.{family}").__doc__
        summary = (doc or "").strip().split("\n", 1)[0]
        assert summary.endswith("."), f"pomgate/rules/{family}/__init__.py needs a one-line summary docstring"


@pytest.mark.parametrize("rule_id", sorted(all_rules()))
def test_rule_metadata_is_complete(rule_id: str) -> None:
    rule = all_rules()[rule_id]
    assert isinstance(rule.severity, Severity)
    assert rule.summary.strip() and "\n" not in rule.summary
    assert len(rule.explanation) > 80 and "\n" not in rule.explanation
    assert rule.bad.strip() and rule.good.strip() and rule.bad != rule.good


# ---------------------------------------------------------------- examples


def _example_input(rule: Rule, example: str) -> str:
    """The file text an example stands for: input examples as they are, else a manifest or snippet."""
    if rule.family == "input":
        return example
    documents = [doc for doc in yaml.safe_load_all(example) if doc is not None]
    if documents and all(isinstance(doc, dict) and "kind" in doc for doc in documents):
        return example
    if len(documents) == 1 and isinstance(documents[0], dict) and set(documents[0]) == {"metadata"}:
        metadata = documents[0]["metadata"]
        if isinstance(metadata, dict) and set(metadata) == {"annotations"}:
            annotations = metadata["annotations"]
            assert all(isinstance(v, str) for v in annotations.values()), "quote snippet annotation values"
            return docs(ingress(annotations=annotations), service())
    raise AssertionError(f"{rule.id}: example is neither a complete manifest nor a metadata.annotations snippet")


def _findings(rule: Rule, example: str) -> list[Finding]:
    return analyze(_example_input(rule, example), **OPTIONS.get(rule.id, {})).findings


def _example_ids() -> list[str]:
    return sorted(rid for rid in emitted_ids() if not rid.startswith("k8s/") and rid not in NOT_RUNNABLE)


def test_only_listed_rules_skip_the_example_check() -> None:
    assert set(NOT_RUNNABLE) <= emitted_ids()
    assert set(OPTIONS) <= set(_example_ids())


@pytest.mark.parametrize("rule_id", _example_ids())
def test_bad_example_produces_the_finding_and_good_does_not(rule_id: str) -> None:
    rule = all_rules().get(rule_id)
    if rule is None:
        pytest.fail(f"{rule_id} is not in the catalog")
    bad = [f for f in _findings(rule, rule.bad) if f.rule == rule_id]
    assert bad, f"the bad example of {rule_id} does not produce it"
    assert {f.severity for f in bad} == {rule.severity}, "the catalog severity differs from the emitted one"
    good = _findings(rule, rule.good)
    assert not [f for f in good if f.rule == rule_id], f"the good example of {rule_id} still produces it"
    errors = [f"{f.rule}: {f.message}" for f in good if f.severity is Severity.ERROR]
    assert not errors, f"the good example of {rule_id} has errors: {errors}"


#: Rules with a check whose examples are manifests or snippets, with the configuration each needs.
CHECKED_EXAMPLES: dict[str, str] = {
    "routing/ingress-not-managed": "",
    "routing/tls-host-without-rule": "",
    "annotation/ineffective": "",
    "annotation/newer-than-controller": 'controller-version: "0.32.9"\n',
}


def _configured_findings(rule: Rule, example: str, configuration: str) -> list[Finding]:
    text = _example_input(rule, example)
    objects, scanned = scan_text(text, "example.yaml", "default")
    config = parse_config(configuration, ".pomgate.yaml", pyproject=False)
    return analyze_objects(
        objects, TranslateOptions(), scan_findings=scanned, sources={"example.yaml": text}, config=config
    ).findings


@pytest.mark.parametrize("rule_id", sorted(CHECKED_EXAMPLES))
def test_bad_example_of_a_checked_rule_produces_it_and_good_does_not(rule_id: str) -> None:
    rule = all_rules()[rule_id]
    assert rule.check is not None
    bad = [f for f in _configured_findings(rule, rule.bad, CHECKED_EXAMPLES[rule_id]) if f.rule == rule_id]
    assert bad and {f.severity for f in bad} == {rule.severity}
    good = _configured_findings(rule, rule.good, CHECKED_EXAMPLES[rule_id])
    assert not [f for f in good if f.rule == rule_id]
    assert not [f"{f.rule}: {f.message}" for f in good if f.severity is Severity.ERROR]
