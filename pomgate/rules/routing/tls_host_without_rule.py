"""routing/tls-host-without-rule: a spec.tls host that no rule host (and no route) serves."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pomgate.findings import Finding, Severity
from pomgate.rules.base import Rule, RuleContext
from pomgate.rules.review_helpers import is_http01_solver

BAD = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    cert-manager.io/cluster-issuer: letsencrypt
    ingress.pomerium.io/allowed_domains: '["example.com"]'
spec:
  ingressClassName: pomerium
  tls:
    - hosts:
        - app.example.com
        - www.example.com
      secretName: web-tls
  rules:
    - host: app.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: web
                port:
                  number: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - port: 80
"""

GOOD = BAD.replace("        - www.example.com\n", "")


class _Hosts:
    """Host names, looked up the way two Ingress hosts meet: equal, or one a ``*.domain`` wildcard for the
    other (one label deep, either side)."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = {name.lower() for name in names}
        self.parents = {name.split(".", 1)[1] for name in self.names if "." in name}

    def cover(self, host: str) -> bool:
        """Whether some name meets ``host``."""
        host = host.lower()
        if host in self.names:
            return True
        if host.startswith("*.") and host[2:] in self.parents:
            return True
        return "." in host and "*." + host.split(".", 1)[1] in self.names


def check(context: RuleContext) -> Iterator[Finding]:
    """One warning per spec.tls host of a managed Ingress that matches no rule host nor any route's host."""
    route_hosts = _Hosts(route.url_host for route in context.translation.routes)
    for outcome in context.translation.outcomes:
        typed = context.ingresses_by_ref.get(outcome.ingress)
        if not outcome.managed or typed is None or typed.rejected or is_http01_solver(typed.model):
            continue
        spec = typed.model.spec
        if spec is None or not spec.tls:
            continue
        if any(not rule.host for rule in spec.rules):
            continue  # an empty-host rule (`*`) answers every host
        served = [rule.host for rule in spec.rules]
        if spec.defaultBackend is not None and len(spec.tls) == 1 and len(spec.tls[0].hosts) == 1:
            served.append(spec.tls[0].hosts[0])  # the default backend's route takes this host
        own = _Hosts(served)
        for tls_index, tls in enumerate(spec.tls):
            for host_index, host in enumerate(tls.hosts):
                if own.cover(host) or route_hosts.cover(host):
                    continue
                rule_hosts = ", ".join(dict.fromkeys(rule.host for rule in spec.rules)) or "none"
                yield Finding(
                    rule=RULE.id,
                    severity=RULE.severity,
                    message=f"spec.tls lists host {host}, but no rule of this Ingress (rule hosts: {rule_hosts}) "
                    "and no other route serves it: a host under tls only asks for a certificate, it does not "
                    f"create a route, so https://{host} gets no route from this Ingress",
                    obj=outcome.ingress,
                    field=("spec", "tls", tls_index, "hosts", host_index),
                    hint=f"add a rule for host {host}, or remove it from spec.tls",
                )


RULE = Rule(
    id="routing/tls-host-without-rule",
    severity=Severity.WARNING,
    summary="A spec.tls host matches no rule host of the Ingress and no route",
    explanation=(
        "Pomerium makes routes only from `spec.rules` (and `spec.defaultBackend`); the hosts under "
        "`spec.tls` only say which names the certificate in `secretName` is for (Pomerium picks certificates "
        "by their names, and cert-manager issues them for these hosts). A host listed under `tls` but in no "
        "rule therefore gets a certificate and no route, which is a common copy-and-paste mistake (upstream "
        "issue pomerium/ingress-controller#60): requests to it get Pomerium's 404. pomgate reports such a "
        "host unless a rule host of the Ingress or any route of the input serves it (a `*.domain` wildcard "
        "on either side counts, as does the host of a default backend). Add the rule, or drop the host from "
        "`tls`."
    ),
    bad=BAD,
    good=GOOD,
    check=check,
)
