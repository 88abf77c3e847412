"""`python -m benchmarks builds`: a repository of kustomize overlays, pomgate's time on top of the builds.

The repository has B bases (an Ingress or two, their Services, a header Secret) and O overlays
spread over them (namespace, name suffix, a strategic-merge patch with a policy, a JSON 6902 patch);
every overlay is a root. The baseline is the builds alone: `kustomize build` (or `kubectl
kustomize`) of every root, two at a time as pomgate runs them; pomgate is `pomgate check` with a
cold build cache. Then one base file is changed and the hook is timed with a warm cache: it must
rebuild only the overlays over that base.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.runner import Case, side_by_side, table

BASE_INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app{index}
  annotations:
    ingress.pomerium.io/allow_any_authenticated_user: true
    ingress.pomerium.io/pass_identity_headers: "true"
    ingress.pomerium.io/set_request_headers_secret: app{index}-headers
spec:
  ingressClassName: pomerium
  rules:
    - host: app{index}.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: app{index}
                port:
                  number: 80
          - path: /api
            pathType: Prefix
            backend:
              service:
                name: app{index}-api
                port:
                  name: http
---
apiVersion: v1
kind: Service
metadata:
  name: app{index}
spec:
  ports:
    - port: 80
---
apiVersion: v1
kind: Service
metadata:
  name: app{index}-api
spec:
  ports:
    - name: http
      port: 8080
---
apiVersion: v1
kind: Secret
metadata:
  name: app{index}-headers
type: Opaque
stringData:
  X-Team: team{index}
"""

OVERLAY = """\
namespace: {namespace}
nameSuffix: -{suffix}
resources:
  - ../../../bases/app{base}
patches:
  - path: policy.yaml
  - target:
      kind: Ingress
      name: app{base}
    patch: |-
      - op: add
        path: /metadata/annotations/ingress.pomerium.io~1preserve_host_header
        value: "true"
"""

POLICY = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app{base}
  annotations:
    ingress.pomerium.io/policy: |
      allow:
        or:
          - email:
              is: team{overlay}@example.com
          - groups:
              has: {group}
"""


def write_overlays(root: Path, bases: int, overlays: int) -> list[Path]:
    """Write the repository; return the overlay folders (the roots)."""
    for index in range(bases):
        folder = root / "bases" / f"app{index}"
        folder.mkdir(parents=True)
        (folder / "app.yaml").write_text(BASE_INGRESS.format(index=index))
        (folder / "kustomization.yaml").write_text("resources:\n  - app.yaml\n")
    roots = []
    for overlay in range(overlays):
        base = overlay % bases
        folder = root / "overlays" / f"env{overlay // bases}" / f"app{base}"
        folder.mkdir(parents=True)
        namespace = f"env{overlay // bases}-app{base}"
        (folder / "kustomization.yaml").write_text(
            OVERLAY.format(namespace=namespace, suffix=f"e{overlay // bases}", base=base)
        )
        (folder / "policy.yaml").write_text(POLICY.format(base=base, overlay=overlay, group=f"g{overlay}"))
        roots.append(folder)
    (root / ".git").mkdir()
    return roots


def kustomize() -> list[str]:
    """The build command pomgate uses (kustomize when on PATH, else kubectl kustomize)."""
    from pomgate.environments.build import kustomize_command

    command = kustomize_command()
    if command is None:
        raise SystemExit("neither kustomize nor kubectl is on PATH")
    return command


def build_every_root(roots: list[str]) -> None:
    """The baseline: every root built once, two at a time (as pomgate runs them)."""
    command = kustomize()

    def one(root: str) -> None:
        subprocess.run([*command, root], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, roots))


def bench_builds(args: argparse.Namespace) -> None:
    """Print the side-by-side table and the warm hook's rebuild count."""
    with tempfile.TemporaryDirectory(prefix="pomgate-bench-builds-") as scratch_name:
        scratch = Path(scratch_name)
        repo = scratch / "repo"
        roots = [str(path.relative_to(repo)) for path in write_overlays(repo, args.bases, args.overlays)]
        os.chdir(repo)
        caches = scratch / "caches"

        def cold(repetition: int) -> None:
            os.environ["XDG_CACHE_HOME"] = str(caches / f"cold-{repetition}-{time.time_ns()}")

        baseline = [
            sys.executable,
            "-c",
            f"from benchmarks.overlays import build_every_root; build_every_root({roots!r})",
        ]
        env_path = os.pathsep.join([str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])
        os.environ["PYTHONPATH"] = env_path
        cases = [
            Case(f"builds alone ({len(roots)} roots, 2 at a time)", baseline),
            Case(
                "pomgate check, cold build cache",
                [sys.executable, "-m", "pomgate", "check", "-f", "json", "."],
                before=cold,
            ),
        ]
        timings = side_by_side(cases, args.repetitions)
        print(f"repository: {args.bases} bases, {args.overlays} overlays; build tool: {' '.join(kustomize())}")
        print(table(timings, cases[0].name))
        alone, check = timings[0].median, timings[1].median
        print(f"pomgate's own time on top of the builds: {check - alone:.2f} s = {(check - alone) / alone:.2f}x")
        # Warm hook after one base file changes: only the overlays over that base are built again.
        os.environ["XDG_CACHE_HOME"] = str(caches / "warm")
        builds = caches / "warm" / "pomgate" / "builds"
        subprocess.run([sys.executable, "-m", "pomgate", "check", "-f", "json", "."], stdout=subprocess.DEVNULL)
        changed = repo / "bases" / "app0" / "app.yaml"
        changed.write_text(changed.read_text().replace("port: 8080", "port: 8081"))
        known = set(os.listdir(str(builds)))
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pomgate", "hook", "--format", "json", str(changed.relative_to(repo))],
            stdout=subprocess.DEVNULL,
        )
        elapsed = time.perf_counter() - start
        rebuilt = len(set(os.listdir(str(builds))) - known)  # one cache entry per build that ran
        print(
            f"warm hook after a change to bases/app0/app.yaml: {elapsed:.2f} s, {rebuilt} environment(s) built "
            f"(overlays over that base: {sum(1 for r in roots if r.endswith('/app0'))})"
        )
