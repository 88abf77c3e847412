"""Which files a change can affect: dependencies by key and host groups (pomgate.kube.context)."""

from __future__ import annotations

from pomgate.kube.context import ObjectSummary, affected_files, host_closure


def ingress(*hosts: str, catch_all: bool = False, needs: tuple[tuple[str, str, str], ...] = ()) -> ObjectSummary:
    return ObjectSummary(
        (("object", "Ingress/default", hosts[0] if hosts else "x"),), needs, hosts, True, False, catch_all
    )


def service(name: str) -> ObjectSummary:
    return ObjectSummary((("object", "Service/default", name), ("Service", "default", name)), (), (), False, False)


FILES = [
    ("exact.yaml", [ingress("a.example.com")]),
    ("same.yaml", [ingress("a.example.com")]),
    ("wild.yaml", [ingress("*.example.com")]),
    ("sibling.yaml", [ingress("b.example.com")]),
    ("deeper.yaml", [ingress("x.a.example.com")]),
    ("other.yaml", [ingress("a.example.org")]),
    ("wild-sub.yaml", [ingress("*.sub.example.com")]),
]


def test_an_exact_host_pulls_equal_hosts_and_wildcards_over_it() -> None:
    assert host_closure(FILES, {"exact.yaml"}) == {
        "exact.yaml",
        "same.yaml",
        "wild.yaml",
        # the wildcard's own group reaches every host under example.com, and those in turn
        "sibling.yaml",
        "deeper.yaml",
        "wild-sub.yaml",
    }


def test_unrelated_hosts_stay_out() -> None:
    assert host_closure(FILES, {"other.yaml"}) == {"other.yaml"}
    assert host_closure(FILES, {"deeper.yaml"}) >= {"deeper.yaml", "wild.yaml"}
    only_exact = [f for f in FILES if f[0] != "wild.yaml"]
    assert host_closure(only_exact, {"sibling.yaml"}) == {"sibling.yaml"}


def test_nested_wildcards_overlap() -> None:
    files = [("outer.yaml", [ingress("*.example.com")]), ("inner.yaml", [ingress("*.sub.example.com")])]
    assert host_closure(files, {"inner.yaml"}) == {"inner.yaml", "outer.yaml"}
    assert host_closure(files, {"outer.yaml"}) == {"inner.yaml", "outer.yaml"}


def test_a_catch_all_host_gives_up() -> None:
    files = [*FILES, ("all.yaml", [ingress("", catch_all=True)])]
    assert host_closure(files, {"other.yaml"}) is None
    # an empty host without subtle_allow_empty_host fails translation: it routes nothing
    files = [*FILES, ("broken.yaml", [ingress("")])]
    assert host_closure(files, {"other.yaml"}) == {"other.yaml"}


def test_affected_files_follow_dependencies_then_hosts() -> None:
    old = [
        ("svc.yaml", [service("web")]),
        ("uses.yaml", [ingress("c.example.net", needs=(("Service", "default", "web"),))]),
        ("shares.yaml", [ingress("c.example.net")]),
        ("far.yaml", [ingress("d.example.net")]),
    ]
    new = [(path, summaries) for path, summaries in old]
    assert affected_files(old, new, {"svc.yaml"}) == {"svc.yaml", "uses.yaml", "shares.yaml"}
    ingress_class = ObjectSummary((("object", "IngressClass/", "pomerium"),), (), (), False, True)
    assert affected_files(old, [*new, ("class.yaml", [ingress_class])], {"class.yaml"}) is None
