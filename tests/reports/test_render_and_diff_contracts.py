"""render and diff JSON against their schemas; diff risks name their route as an object; YAML render speed."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pomgate.diff.compare import compare, diff_json
from pomgate.diff.publish import DiffDocument
from pomgate.reports.render_output import write_environments, write_render
from pomgate.reports.yaml_writer import to_yaml
from tests.helpers import analyze, docs, ingress, service, simple_rule

ROOT = Path(__file__).resolve().parents[2]
P = "ingress.pomerium.io"
USERS = {f"{P}/allowed_users": '["alice@example.com"]'}


def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ROOT / "docs" / "schemas" / f"{name}.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(loaded)
    return loaded


def ruamel_yaml(document: dict[str, Any]) -> str:
    """The text ruamel.yaml's round-trip dumper writes with render's settings."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def base_and_head() -> tuple[Any, Any]:
    base = analyze(docs(ingress(name="wiki", annotations=USERS), service()))
    public = {f"{P}/allow_public_unauthenticated_access": "true"}
    head = analyze(
        docs(
            ingress(name="wiki", annotations=public),
            ingress(name="new", annotations=USERS, rules=simple_rule(host="new.example.com")),
            service(),
        )
    )
    return base, head


def test_diff_risks_name_their_route_as_an_object_and_the_strict_reader_takes_exactly_that() -> None:
    document = diff_json(compare(*base_and_head()))
    risk = next(r for r in document["risks"] if r["kind"] == "became_public")
    assert risk["route"] == {
        "from": "https://app.example.com",
        "ingress": {"namespace": "default", "name": "wiki"},
        "host": "app.example.com",
        "path": "/",
    }
    read = DiffDocument.model_validate(document).model_dump(by_alias=True, exclude_unset=True)
    assert read["risks"][0]["route"]["ingress"]["name"] == "wiki"
    old_shape = json.loads(json.dumps(document))
    old_shape["risks"][0]["route"] = '{"n":"wiki","ns":"default","h":"app.example.com","p":"/"}'
    with pytest.raises(ValueError):
        DiffDocument.model_validate(old_shape)


def test_diff_json_has_a_version_and_follows_its_schema() -> None:
    document = diff_json(compare(*base_and_head()))
    assert document.get("version") == 1, 'diff_json needs a top-level "version": 1 (see docs/schemas)'
    jsonschema.validate(document, schema("diff"))


def test_render_json_has_a_version_and_follows_its_schema() -> None:
    _base, head = base_and_head()
    out, err = io.StringIO(), io.StringIO()
    write_render(head, "json", False, out, err)
    document = json.loads(out.getvalue())
    assert document.get("version") == 1, 'render JSON needs a top-level "version": 1 (see docs/schemas)'
    jsonschema.validate(document, schema("render"))
    environments = io.StringIO()
    write_environments([("dev", head), ("prod", head)], head, "json", False, environments, io.StringIO())
    jsonschema.validate(json.loads(environments.getvalue()), schema("render"))


def test_yaml_render_writes_what_ruamel_writes() -> None:
    _base, head = base_and_head()
    out = io.StringIO()
    write_render(head, "yaml", False, out, io.StringIO())
    from pomgate.reports.routes import routes_config

    assert out.getvalue() == ruamel_yaml(routes_config(head.translation.routes))


_KEYS = st.sampled_from(["from", "to", "policy", "allow", "or", "email", "is", "X-Header", "a b", "yes", "k:"])
_TEXT = st.one_of(
    st.sampled_from(["", "true", "True", "null", "1.0", "0x1F", "it's", " lead", "trail ", "#x", "a: b", "a #b"]),
    st.sampled_from(["{json}", "[x]", "*star", "&anchor", "https://*.example.com", "é", "x\ny", "-", "- x", "~"]),
    st.text(max_size=12),
)
_SCALARS = st.one_of(_TEXT, st.booleans(), st.integers(-(10**6), 10**6), st.floats(allow_nan=False), st.none())
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=3)),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=4))
def test_the_fast_yaml_writer_agrees_with_ruamel_or_leaves_the_document_to_it(document: dict[str, Any]) -> None:
    fast = to_yaml(document)
    if fast is not None:
        assert fast == ruamel_yaml(document)


def test_yaml_render_is_as_fast_as_json_render() -> None:
    """2,000 routes: the YAML text takes at most 1.5 times as long as the JSON text (it took 15 times)."""
    routes = []
    for index in range(2000):
        routes.append(
            {
                "from": f"https://app-{index}.example.com",
                "to": [f"http://svc-{index}.team.svc.cluster.local:80"],
                "prefix": "/",
                "id": json.dumps({"n": f"app-{index}", "ns": "team", "h": f"app-{index}.example.com", "p": "/"}),
                "allowed_users": ["alice@example.com", "bob@example.com"],
                "set_request_headers": {"X-Secret": "<redacted: Secret team/h key X-Secret>"},
                "pass_identity_headers": True,
                "policy": [{"allow": {"or": [{"email": {"is": "carol@example.com"}}]}}],
            }
        )
    document = {"routes": routes}

    def best(write: Any) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            write()
            times.append(time.perf_counter() - start)
        return min(times)

    as_json = best(lambda: json.dumps(document, indent=2, ensure_ascii=False))
    as_yaml = best(lambda: to_yaml(document))
    assert to_yaml({"routes": routes[:50]}) == ruamel_yaml({"routes": routes[:50]})
    assert as_yaml <= 1.5 * as_json + 0.05, (as_yaml, as_json)


def test_the_render_benchmark_times_yaml_next_to_json() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "render", "--ingresses", "20", "--repetitions", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| pomgate render -f json |" in done.stdout and "| pomgate render -f yaml |" in done.stdout
    ratio = float(done.stdout.split("YAML / JSON: ", 1)[1].split()[0])
    assert ratio > 0
