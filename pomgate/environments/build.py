"""Running a kustomize build with the real tool, in a sandbox that holds only the build's inputs.

The build's inputs (every file the plan says it reads) are copied into a temporary folder, so the
tool can read nothing else of the machine's files through the repository. It runs without plugins,
exec functions or Helm (none of kustomize's enabling flags is passed), with git and HTTP pointed at
nothing, and with origin annotations switched on through a wrapper kustomization, so each built
object says which file it came from. Outputs are cached by the digest of every input.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pomgate.environments.plan import Environment
from pomgate.environments.tree import Tree
from pomgate.private import private_folder, user_cache_root

#: Where the repository's files go inside the sandbox, and the wrapper kustomization beside them.
SANDBOX_REPO = "repo"
WRAPPER = "wrapper"
#: The prefix of origin paths in the output (they are relative to the wrapper).
ORIGIN_PREFIX = f"../{SANDBOX_REPO}/"
BUILD_TIMEOUT = 120.0
#: Helm release names and namespaces: DNS-1123 labels.
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
MAX_MESSAGE = 2000


@dataclass(frozen=True)
class BuildResult:
    """What one build gave: the built YAML, or the tool's message when it failed."""

    environment: Environment
    output: str | None
    error: str | None = None
    cached: bool = False
    transient: bool = False  # the tool did not answer (timeout, could not start): not cached


def kustomize_command() -> list[str] | None:
    """``kustomize build`` when kustomize is on PATH, else ``kubectl kustomize``; None when neither is."""
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


def _tool_identity(command: Sequence[str]) -> str:
    """The tool's path, size and mtime: a new version of it means new outputs."""
    path = shutil.which(command[0]) or command[0]
    try:
        info = os.stat(path)
    except OSError:
        return path
    return f"{path}:{info.st_size}:{info.st_mtime_ns}"


def _wrapper_text(environment: Environment) -> str:
    """The wrapper kustomization: the root as its one resource, origins on, the application's options."""
    root = environment.root
    target = f"../{SANDBOX_REPO}/{root}" if root else f"../{SANDBOX_REPO}"
    lines = [f"resources:\n  - {json.dumps(target)}", "buildMetadata: [originAnnotations, transformerAnnotations]"]
    lines.extend(f"{key}: {json.dumps(value)}" for key, value in environment.kustomize_options)
    return "\n".join(lines) + "\n"


def build_key(tree: Tree, environment: Environment, command: Sequence[str]) -> str:
    """The cache key of a build: the tool, the wrapper and every input's path and content digest."""
    digest = hashlib.sha256()
    digest.update(_tool_identity(command).encode())
    digest.update(_wrapper_text(environment).encode())
    settings = (environment.kind, environment.release, environment.default_namespace, environment.values_files)
    digest.update(repr(settings).encode() + b"\0" + environment.values.encode("utf-8", "surrogateescape"))
    for path in environment.inputs:
        digest.update(b"\0" + path.encode("utf-8", "surrogateescape") + b"\0")
        try:
            digest.update(hashlib.sha256(tree.read(path)).digest())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()


def sandbox_environment(sandbox: str) -> dict[str, str]:
    """The environment of a build: no network, no user configuration, no cluster."""
    blocked_proxy = "http://127.0.0.1:9"
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": sandbox,
        "XDG_CONFIG_HOME": sandbox,
        "KUBECONFIG": os.devnull,
        "HTTP_PROXY": blocked_proxy,
        "HTTPS_PROXY": blocked_proxy,
        "http_proxy": blocked_proxy,
        "https_proxy": blocked_proxy,
        "NO_PROXY": "",
        "GIT_ALLOW_PROTOCOL": "file",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "LANG": "C.UTF-8",
    }


def run_kustomize(tree: Tree, environment: Environment, command: Sequence[str]) -> BuildResult:
    """Build ``environment`` in a fresh sandbox with ``command`` (never raises)."""
    with tempfile.TemporaryDirectory(prefix="pomgate-build-") as sandbox:
        _copy_inputs(tree, environment.inputs, os.path.join(sandbox, SANDBOX_REPO))
        wrapper = os.path.join(sandbox, WRAPPER)
        os.mkdir(wrapper)
        with open(os.path.join(wrapper, "kustomization.yaml"), "w", encoding="utf-8") as out:
            out.write(_wrapper_text(environment))
        return _run(environment, [*command, wrapper], sandbox)


def helm_command() -> list[str] | None:
    """``helm template`` when helm is on PATH."""
    return ["helm", "template"] if shutil.which("helm") else None


def run_helm(tree: Tree, environment: Environment, command: Sequence[str]) -> BuildResult:
    """Render the chart of ``environment`` with ``helm template`` in a sandbox (never raises).

    The chart's files (its ``inputs``) are copied in; dependencies are not fetched (a chart whose
    ``charts/`` lacks them fails with helm's message). Values: the application's files, then its
    inline values, as Argo CD and Flux apply them.
    """
    release = environment.release or "release"
    namespace = environment.default_namespace
    for what, value in (("release name", release), ("namespace", namespace)):
        if value is not None and not _DNS_LABEL.fullmatch(value):
            return BuildResult(environment, None, f"the {what} {value!r} is not a DNS-1123 label: not rendered")
    with tempfile.TemporaryDirectory(prefix="pomgate-build-") as sandbox:
        repo = os.path.join(sandbox, SANDBOX_REPO)
        chart = os.path.join(repo, *environment.root.split("/")) if environment.root else repo
        _copy_inputs(tree, environment.inputs, repo)
        # Options first and `--` before the positional ones: nothing from the repository is read as an option.
        options = [f"--namespace={namespace}"] if namespace else []
        options += [f"--values={os.path.join(repo, *name.split('/'))}" for name in environment.values_files]
        if environment.values:
            inline = os.path.join(sandbox, "inline-values.yaml")
            with open(inline, "w", encoding="utf-8") as out:
                out.write(environment.values)
            options.append(f"--values={inline}")
        return _run(environment, [*command, *options, "--", release, chart], sandbox)


def _copy_inputs(tree: Tree, inputs: Sequence[str], repo: str) -> None:
    os.makedirs(repo, exist_ok=True)
    for path in inputs:
        try:
            data = tree.read(path)
        except OSError:
            continue  # not copied: the build says what is missing
        target = os.path.join(repo, *path.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as out:
            out.write(data)


def _run(environment: Environment, arguments: Sequence[str], sandbox: str) -> BuildResult:
    try:
        done = subprocess.run(
            list(arguments),
            cwd=sandbox,
            env=sandbox_environment(sandbox),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=BUILD_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return BuildResult(environment, None, f"{arguments[0]} did not finish in {BUILD_TIMEOUT:.0f} s", transient=True)
    except OSError as err:
        return BuildResult(environment, None, f"cannot run {arguments[0]}: {err.strerror or err}", transient=True)
    if done.returncode != 0:
        return BuildResult(environment, None, tool_message(done.stderr or done.stdout, sandbox))
    return BuildResult(environment, done.stdout.decode("utf-8", "replace"))


#: kubectl logs its error through klog: `E1201 22:45:56.258840  25353 run.go:72] "command failed" err="…"`.
_KLOG_ERROR = re.compile(
    r'^[EFW]\d{4} [\d:.]+\s+\d+ \S+\] "command failed" err=(?:"(?P<message>.*)"|<\n(?P<block>.*)\n\s*>)$',
    re.DOTALL | re.MULTILINE,
)


def tool_message(raw: bytes, sandbox: str) -> str:
    """The tool's error text with the sandbox's folders taken out (paths read as in the repository)."""
    text = raw.decode("utf-8", "replace").strip()
    logged = _KLOG_ERROR.search(text)  # warnings may come first
    if logged and logged.group("message") is not None:
        text = logged.group("message").replace('\\"', '"')
    elif logged:
        text = "\n".join(line.strip() for line in logged.group("block").splitlines())
    for prefix in (
        os.path.join(sandbox, SANDBOX_REPO, ""),
        os.path.join(sandbox, SANDBOX_REPO),
        sandbox,
        ORIGIN_PREFIX,
    ):
        text = text.replace(prefix, "")
    text = text.removeprefix("Error: ").removeprefix("error: ")
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


#: Told of each build as it finishes: (builds finished, builds at most, environment name).
Progress = Callable[[int, int, str], None]


class BuildCache:
    """Build outputs by key, as text files in this user's private cache folder (data, never code)."""

    def __init__(self, folder: str | None = None) -> None:
        self.folder = folder or os.path.join(user_cache_root(), "builds")
        self.usable = private_folder(user_cache_root()) is None and private_folder(self.folder) is None

    def get(self, key: str) -> tuple[str | None, str | None] | None:
        """(output, error) of an earlier build with this key, or None."""
        if not self.usable:
            return None
        for suffix, is_error in ((".yaml", False), (".error", True)):
            try:
                with open(os.path.join(self.folder, key + suffix), encoding="utf-8") as handle:
                    text = handle.read()
            except OSError:
                continue
            return (None, text) if is_error else (text, None)
        return None

    def put(self, key: str, result: BuildResult) -> None:
        """Remember a build's output or message (written whole, or not at all)."""
        if not self.usable:
            return
        suffix, text = (".error", result.error or "") if result.output is None else (".yaml", result.output)
        try:
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".build-")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, os.path.join(self.folder, key + suffix))
        except OSError:
            return


def build_all(
    tree: Tree,
    environments: Sequence[Environment],
    *,
    command: Sequence[str] | None = None,
    cache: BuildCache | None = None,
    workers: int = 2,
    progress: Progress | None = None,
) -> list[BuildResult]:
    """Build every environment: kustomize roots and Helm charts (in parallel, cached by their inputs).

    ``progress`` is told of each build that ran (not of those taken from the cache): (done, total, name).
    """
    kustomize = command or kustomize_command()
    helm = helm_command()
    done = [0]

    def one(environment: Environment) -> BuildResult:
        result = build_one(environment)
        if progress is not None and not result.cached:
            done[0] += 1
            progress(done[0], len(environments), environment.name)
        return result

    def build_one(environment: Environment) -> BuildResult:
        tool = helm if environment.kind == "helm" else kustomize
        if tool is None:
            missing = (
                "helm is not on PATH" if environment.kind == "helm" else "neither kustomize nor kubectl is on PATH"
            )
            return BuildResult(environment, None, missing)
        key = build_key(tree, environment, tool) if cache is not None else ""
        if cache is not None:
            known = cache.get(key)
            if known is not None:
                return BuildResult(environment, known[0], known[1], cached=True)
        runner = run_helm if environment.kind == "helm" else run_kustomize
        result = runner(tree, environment, tool)
        if cache is not None and not result.transient:
            cache.put(key, result)
        return result

    if len(environments) <= 1 or workers <= 1:
        return [one(environment) for environment in environments]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, environments))
