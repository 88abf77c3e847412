"""Prometheus metrics of the controller, in the text exposition format (version 0.0.4)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable


def _labels(names: Iterable[tuple[str, str]]) -> str:
    pairs = [f'{key}="{_escape(value)}"' for key, value in names]
    return "{" + ",".join(pairs) + "}" if pairs else ""


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class Counter:
    """A monotonically increasing count, optionally split by labels."""

    kind = "counter"

    def __init__(self, name: str, help_text: str) -> None:
        self.name = name
        self.help = help_text
        self.values: dict[tuple[tuple[str, str], ...], float] = {}

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        self.values[key] = self.values.get(key, 0.0) + amount

    def value(self, **labels: str) -> float:
        return self.values.get(tuple(sorted(labels.items())), 0.0)

    def samples(self) -> list[str]:
        if not self.values:
            return [f"{self.name} 0"]
        return [f"{self.name}{_labels(key)} {_number(value)}" for key, value in sorted(self.values.items())]


class Gauge(Counter):
    """A value that goes up and down."""

    kind = "gauge"

    def set(self, value: float, **labels: str) -> None:
        self.values[tuple(sorted(labels.items()))] = float(value)


class Histogram:
    """Observations in cumulative buckets (seconds)."""

    kind = "histogram"

    def __init__(self, name: str, help_text: str, buckets: tuple[float, ...]) -> None:
        self.name = name
        self.help = help_text
        self.buckets = buckets
        self.counts = [0] * len(buckets)
        self.total = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.total += value
        self.count += 1
        for index, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[index] += 1

    def samples(self) -> list[str]:
        lines = [
            f'{self.name}_bucket{{le="{_number(bound)}"}} {count}'
            for bound, count in zip(self.buckets, self.counts, strict=True)
        ]
        lines.append(f'{self.name}_bucket{{le="+Inf"}} {self.count}')
        lines.append(f"{self.name}_sum {_number(self.total)}")
        lines.append(f"{self.name}_count {self.count}")
        return lines


class Metrics:
    """Everything the controller reports on its metrics address."""

    def __init__(self) -> None:
        self.reconciles = Counter(
            "pomgate_reconciles_total", "Ingress reconciles by result (updated, failed, removed)."
        )
        self.errors = Counter(
            "pomgate_errors_total", "Errors by stage (translate, write, event, status, lease, fetch of a Secret)."
        )
        self.routes = Gauge("pomgate_routes", "Routes in the written Pomerium config.")
        self.ingresses = Gauge("pomgate_ingresses", "Ingresses known to the controller by state.")
        self.config_writes = Counter("pomgate_config_writes_total", "Config writes by target (file, secret).")
        self.last_write = Gauge(
            "pomgate_last_successful_write_timestamp_seconds", "Unix time of the last successful config write."
        )
        self.watch_restarts = Counter(
            "pomgate_watch_restarts_total", "Watch streams started again, by kind and reason."
        )
        self.leader = Gauge("pomgate_leader", "1 while this replica holds the Lease and writes the config.")
        self.reconcile_seconds = Histogram(
            "pomgate_reconcile_duration_seconds",
            "Time from a batch of watch events to the written config.",
            (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )
        self.shadow_differences = Gauge(
            "pomgate_shadow_differences",
            "Shadow mode: routes and certificates that differ between the databroker record and pomgate's translation.",
        )
        self.started = time.time()

    def exposition(self) -> str:
        """The metrics page."""
        out: list[str] = []
        for metric in (
            self.reconciles,
            self.errors,
            self.routes,
            self.ingresses,
            self.config_writes,
            self.last_write,
            self.watch_restarts,
            self.leader,
            self.reconcile_seconds,
            self.shadow_differences,
        ):
            out.append(f"# HELP {metric.name} {metric.help}")
            out.append(f"# TYPE {metric.name} {metric.kind}")
            out.extend(metric.samples())
        return "\n".join(out) + "\n"
