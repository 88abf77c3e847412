"""Settings that change how Ingresses are translated."""

from __future__ import annotations

from dataclasses import dataclass

from pomgate.translation.budget import DEFAULT_INGRESS_BUDGET

DEFAULT_PREFIX = "ingress.pomerium.io"
DEFAULT_CONTROLLER_NAME = "pomerium.io/ingress-controller"
DEFAULT_INGRESS_CLASS = "pomerium"


@dataclass(frozen=True)
class TranslateOptions:
    """How to translate.

    ``live`` is controller mode: referenced Services, Endpoints and Secrets must exist, as upstream
    requires. Offline (the default, for repositories) a missing object is a warning and the values
    that depend on it are marked unknown.

    ``assumed_ingress_class`` names the IngressClass assumed to exist for this controller when the
    input does not define it (repositories rarely hold the IngressClass that Helm installs).
    ``namespaces`` limits the managed namespaces (empty: all).
    ``ingress_budget`` is the wall time in seconds one Ingress's translation may take (None: no
    limit); past it, its remaining regexes are not compiled and it fails with `regex/too-costly`.
    """

    prefix: str = DEFAULT_PREFIX
    controller_name: str = DEFAULT_CONTROLLER_NAME
    assumed_ingress_class: str | None = DEFAULT_INGRESS_CLASS
    namespaces: frozenset[str] = frozenset()
    live: bool = False
    ingress_budget: float | None = DEFAULT_INGRESS_BUDGET
