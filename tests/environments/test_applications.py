"""Argo CD and Flux applications define environments: their name, namespace and options."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from pomgate.environments.applications import find_applications, normalize_url
from pomgate.environments.build import BuildCache
from pomgate.environments.run import Deployment, analyze_deployed
from pomgate.findings import Severity
from pomgate.reports.routes import route_config
from pomgate.scanning.scan import scan_text
from pomgate.translation.options import TranslateOptions
from tests.environments.gitops_repo import FILES, needs_kustomize, write_gitops_repo

REPO_URL = "https://github.com/example/platform.git"

APPLICATIONS = {
    "argocd/app-prod.yaml": f"""\
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata:
          name: app-prod
          namespace: argocd
        spec:
          project: default
          source:
            repoURL: {REPO_URL}
            targetRevision: main
            path: overlays/prod
            kustomize:
              nameSuffix: -blue
          destination:
            server: https://kubernetes.default.svc
            namespace: prod
        """,
    "argocd/web.yaml": """\
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata:
          name: web
        spec:
          source:
            repoURL: git@github.com:example/platform
            path: charts/web
            helm:
              releaseName: web-release
          destination:
            namespace: web
        """,
    "argocd/elsewhere.yaml": """\
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata:
          name: vendor
        spec:
          source:
            repoURL: https://charts.example.org
            chart: vendor
            targetRevision: 1.2.3
          destination:
            namespace: vendor
        """,
    "argocd/teams.yaml": f"""\
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        metadata:
          name: teams
        spec:
          generators:
            - git:
                repoURL: {REPO_URL}
                revision: HEAD
                directories:
                  - path: teams/*
          template:
            metadata:
              name: 'team-{{{{path.basename}}}}'
            spec:
              source:
                repoURL: {REPO_URL}
                path: '{{{{path}}}}'
              destination:
                namespace: '{{{{path.basename}}}}'
        """,
    "teams/blue/ingress.yaml": """\
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: blue
          annotations:
            ingress.pomerium.io/allowed_users: '["blue@example.com"]'
        spec:
          ingressClassName: pomerium
          rules:
            - host: blue.example.com
              http:
                paths:
                  - path: /
                    pathType: Prefix
                    backend:
                      service:
                        name: blue
                        port:
                          number: 80
        """,
    "flux/tools.yaml": """\
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: tools
          namespace: flux-system
        spec:
          interval: 10m
          path: ./plain
          prune: true
          targetNamespace: tools-prod
          sourceRef:
            kind: GitRepository
            name: flux-system
        """,
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_gitops_repo(tmp_path / "repo", {**FILES, **APPLICATIONS})
    (root / ".git").rmdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "remote", "add", "origin", REPO_URL], check=True)
    monkeypatch.chdir(root)
    return root


def deployed(root: Path) -> Deployment:
    return analyze_deployed(["."], TranslateOptions(), build_cache=BuildCache(str(root.parent / "builds")))


def test_git_urls_of_one_repository_compare_equal() -> None:
    forms = [REPO_URL, "git@github.com:example/platform", "ssh://git@github.com/example/platform.git", REPO_URL + "/"]
    assert {normalize_url(url) for url in forms} == {"github.com/example/platform"}
    assert normalize_url("https://github.com/example/other") != normalize_url(REPO_URL)


def test_applications_are_read_with_their_destination_and_options() -> None:
    objects = []
    for path, text in APPLICATIONS.items():
        if path.startswith(("argocd", "flux")):
            objects.extend(scan_text(textwrap.dedent(text), path)[0])
    applications, notes = find_applications(objects, [REPO_URL], ["teams/blue", "teams/red", "plain"])
    by_name = {application.name: application for application in applications}
    assert by_name["app-prod"].path == "overlays/prod" and by_name["app-prod"].namespace == "prod"
    assert by_name["app-prod"].kustomize_options == (("nameSuffix", "-blue"),)
    assert by_name["web"].release == "web-release" and by_name["web"].path == "charts/web"
    assert {by_name["team-blue"].path, by_name["team-red"].path} == {"teams/blue", "teams/red"}
    assert by_name["team-red"].namespace == "red"
    assert by_name["tools"].path == "plain" and by_name["tools"].namespace == "tools-prod"
    assert [(note.rule, note.severity, note.path) for note in notes] == [
        ("build/application-elsewhere", Severity.INFO, "argocd/elsewhere.yaml")
    ]


@needs_kustomize
def test_an_application_names_its_environment_and_sets_its_namespace(repo: Path) -> None:
    deployment = deployed(repo)
    names = {item.environment.name for item in deployment.environments}
    assert {"app-prod", "overlays/dev", "team-blue", "tools"} <= names
    assert "overlays/prod" not in names  # deployed by app-prod: that is its name
    prod = deployment.environment("app-prod")
    assert prod is not None
    assert [route_config(r)["to"] for r in prod.analysis.translation.routes] == [
        ["http://api-v2-blue.prod.svc.cluster.local:8080"]
    ]
    (policy,) = [f for f in deployment.findings if f.rule == "policy/invalid"]
    assert policy.path == "overlays/prod/policy.yaml" and policy.environments == ("app-prod",)
    # A plain folder deployed by Flux: its objects take the target namespace, and it leaves "plain".
    tools = deployment.environment("tools")
    assert tools is not None
    assert [route_config(r)["to"] for r in tools.analysis.translation.routes] == [
        ["http://docs.tools.svc.cluster.local:80"]  # the Ingress names its own namespace
    ]
    plain = deployment.environment("plain")
    assert plain is not None and not plain.analysis.translation.routes
    team = deployment.environment("team-blue")
    assert team is not None
    assert [route_config(r)["to"] for r in team.analysis.translation.routes] == [
        ["http://blue.blue.svc.cluster.local:80"]
    ]


@needs_kustomize
def test_a_chart_deployed_by_an_application_is_named_by_it(repo: Path) -> None:
    deployment = deployed(repo)
    charts = [f for f in deployment.findings if f.rule in ("build/chart-not-rendered", "build/helm-failed")]
    assert [f.path for f in charts] == ["charts/web/Chart.yaml"]
    assert "web" in charts[0].message
    elsewhere = [f for f in deployment.findings if f.rule == "build/application-elsewhere"]
    assert [(f.path, f.severity) for f in elsewhere] == [("argocd/elsewhere.yaml", Severity.INFO)]
