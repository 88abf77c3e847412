"""Fuzz targets for the scanner, translator, rules and reporters, and a long-run driver.

Every target takes one input and runs it through the real code path; the property is that it ends
in findings or output: no uncaught exception and no hang (each target runs under a time limit).
The tests (`test_fuzz.py`) run the targets at a smoke budget and replay the regression corpus
(`regressions/`); `python -m tests.hardening.fuzz --seconds 600` runs them for longer, prints how
many inputs each target executed, and saves every failing input to the corpus.
"""

from __future__ import annotations

import argparse
import io
import json
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from pomgate.pipeline import analyze_objects
from pomgate.reports.check_output import FORMATS, write_check
from pomgate.reports.render_output import write_render
from pomgate.scanning.scan import scan_text
from pomgate.translation.options import TranslateOptions
from pomgate.translation.ppl import PolicyError, validate_policy
from pomgate.translation.validation import regex_problem
from pomgate.translation.values import JsonValueError, YamlValueError, parse_first_document, to_json_value

REGRESSIONS = Path(__file__).with_name("regressions")
TIME_LIMIT = 10.0  # seconds per input: far above any real input, so only a hang trips it
P = "ingress.pomerium.io"


class Hang(Exception):
    """An input took longer than TIME_LIMIT."""


@contextmanager
def time_limit(seconds: float = TIME_LIMIT) -> Iterator[None]:
    def expired(_signum: int, _frame: Any) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def manifest(data: bytes | str) -> None:
    """Raw bytes as a manifest file: scan, translate, and write every check format and the routes."""
    with time_limit():
        objects, findings = scan_text(data, "fuzz.yaml", "default")
        analysis = analyze_objects(
            objects, TranslateOptions(), scan_findings=findings, files=["fuzz.yaml"], sources={"fuzz.yaml": data}
        )
        for output_format in FORMATS:
            write_check(analysis, output_format, io.StringIO(), color=output_format == "text")
        for output_format in ("yaml", "json"):
            write_render(analysis, output_format, False, io.StringIO(), io.StringIO())


def ingress_with(annotations: dict[str, str], host: str, path: str) -> None:
    """An Ingress (with its Service) carrying arbitrary annotation values, host and path."""
    document = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "fuzz", "namespace": "default", "annotations": annotations},
        "spec": {
            "ingressClassName": "pomerium",
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {
                                "path": path,
                                "pathType": "ImplementationSpecific",
                                "backend": {"service": {"name": "svc", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ],
        },
    }
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"}, "spec": {"ports": [{"port": 80}]}}
    manifest(json.dumps(document) + "\n---\n" + json.dumps(service))


def policy(text: str) -> None:
    """A policy annotation's text: parsed and validated, or refused with PolicyError."""
    with time_limit():
        try:
            document, found = parse_first_document(text)
            if found:
                validate_policy(to_json_value(document))
        except (PolicyError, YamlValueError, JsonValueError):
            pass


def regex(pattern: str) -> None:
    """A path regex: compiled with RE2 only (linear time), answered with a problem or None."""
    with time_limit():
        regex_problem(pattern, "path")


# ---------------------------------------------------------------- strategies

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=30,
)
ANNOTATION_NAMES = [
    "policy",
    "allowed_users",
    "allowed_domains",
    "set_request_headers",
    "set_request_headers_secret",
    "path_regex",
    "regex_rewrite_pattern",
    "regex_rewrite_substitution",
    "tcp_upstream",
    "secure_upstream",
    "timeout",
    "idle_timeout",
    "cors_allow_preflight",
    "pass_identity_headers",
    "rewrite_response_headers",
    "load_balancing_policy",
    "health_checks",
    "tls_skip_verify",
    "unknown_one",
]
annotation_maps = st.dictionaries(
    st.sampled_from([f"{P}/{name}" for name in ANNOTATION_NAMES]) | st.text(max_size=30),
    st.text(max_size=120) | json_values.map(json.dumps),
    max_size=6,
)
yaml_texts = json_values.map(lambda value: yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "data": value}))
policy_texts = st.text(max_size=200) | json_values.map(json.dumps) | json_values.map(yaml.safe_dump)
regex_texts = st.text(alphabet=st.sampled_from(list("()[]{}*+?|^$\\.-:<>=!,aZ09\\dws")), max_size=40) | st.text(
    max_size=40
)

#: name -> (target, strategy of its argument tuple)
TARGETS: dict[str, tuple[Callable[..., None], st.SearchStrategy[tuple[Any, ...]]]] = {
    "manifest-bytes": (manifest, st.tuples(st.binary(max_size=600))),
    "yaml-documents": (manifest, st.tuples(yaml_texts)),
    "ingress-annotations": (
        ingress_with,
        st.tuples(annotation_maps, st.text(max_size=40), st.text(max_size=40)),
    ),
    "policy": (policy, st.tuples(policy_texts)),
    "regex": (regex, st.tuples(regex_texts)),
}


def save_regression(target: str, args: tuple[Any, ...]) -> Path:
    """Keep a failing input in the corpus (JSON with bytes as latin-1 text) so it is replayed forever."""
    REGRESSIONS.mkdir(exist_ok=True)
    encoded = [{"bytes": value.decode("latin-1")} if isinstance(value, bytes) else {"value": value} for value in args]
    text = json.dumps({"target": target, "args": encoded}, ensure_ascii=True, sort_keys=True)
    path = REGRESSIONS / f"{target}-{abs(hash(text)) % 10**10:010d}.json"
    path.write_text(text + "\n")
    return path


def load_regression(path: Path) -> tuple[str, tuple[Any, ...]]:
    document = json.loads(path.read_text())
    args = tuple(item["bytes"].encode("latin-1") if "bytes" in item else item["value"] for item in document["args"])
    return document["target"], args


def _campaign(
    name: str, target: Callable[..., None], strategy: st.SearchStrategy[tuple[Any, ...]], counter: dict[str, int]
) -> Callable[[], None]:
    """One hypothesis run of 500 inputs for ``target``; failing inputs go to the regression corpus."""
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=500, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(values: tuple[Any, ...]) -> None:
        counter["executed"] += 1
        try:
            target(*values)
        except Exception:
            saved = save_regression(name, values)
            print(f"{name}: failing input saved to {saved}", file=sys.stderr)
            raise

    return run


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.hardening.fuzz", description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="time per target (default 60)")
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated targets")
    args = parser.parse_args()
    total = 0
    for name in args.targets.split(","):
        target, strategy = TARGETS[name]
        counter = {"executed": 0}
        deadline = time.monotonic() + args.seconds
        failures = 0
        while time.monotonic() < deadline:
            try:
                _campaign(name, target, strategy, counter)()
            except Exception as err:  # hypothesis re-raises the shrunk failing example
                failures += 1
                print(f"{name}: {type(err).__name__}: {err}"[:300], file=sys.stderr)
        total += counter["executed"]
        print(f"{name}: {counter['executed']} inputs in {args.seconds:.0f} s, {failures} failing")
    print(f"total: {total} inputs")


if __name__ == "__main__":
    main()
