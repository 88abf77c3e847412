"""upstream/tls-skip-verify: Pomerium does not verify the upstream's certificate."""

from __future__ import annotations

from collections.abc import Iterator

from pomgate.findings import Finding, Severity
from pomgate.rules.base import Rule, RuleContext
from pomgate.rules.review_helpers import annotation_field, hosts_of, ingress_routes
from pomgate.translation.route import Route


def check(context: RuleContext) -> Iterator[Finding]:
    """One warning per Ingress whose routes set tls_skip_verify."""
    prefix = context.options.prefix
    for typed, routes in ingress_routes(context):
        skipping = [route for route in routes if route.fields.get("tls_skip_verify") is True]
        if not skipping:
            continue
        secure = [route for route in skipping if any(str(url).startswith("https://") for url in _upstreams(route))]
        if secure:
            effect = (
                f"Pomerium accepts any certificate from the upstream of {hosts_of(secure)}, so a man in the "
                "middle between Pomerium and the service goes unnoticed"
            )
        else:
            effect = (
                f"it has no effect yet, as the upstream of {hosts_of(skipping)} is not https:// (see "
                "annotation/ineffective), but once it is, Pomerium will accept any certificate from it"
            )
        yield Finding(
            rule=RULE.id,
            severity=RULE.severity,
            message=f"{prefix}/tls_skip_verify is true: {effect}",
            obj=typed.ref,
            field=annotation_field(typed.model, prefix, "tls_skip_verify"),
            hint=f"trust the upstream's CA instead: {prefix}/tls_custom_ca_secret (and tls_server_name if needed)",
        )


def _upstreams(route: Route) -> list[object]:
    urls = route.fields.get("to")
    return list(urls) if isinstance(urls, list) else [urls]


RULE = Rule(
    id="upstream/tls-skip-verify",
    severity=Severity.WARNING,
    summary="tls_skip_verify turns off upstream certificate checks",
    explanation=(
        "With tls_skip_verify Pomerium still encrypts the connection to an HTTPS upstream but accepts any "
        "certificate, so anything that can intercept traffic inside the cluster can impersonate the service "
        "and read the identity headers and tokens Pomerium forwards. Give Pomerium the upstream's CA with "
        "tls_custom_ca_secret (or a Secret of kind kubernetes.io/tls) instead."
    ),
    bad=(
        "metadata:\n"
        "  annotations:\n"
        '    ingress.pomerium.io/secure_upstream: "true"\n'
        '    ingress.pomerium.io/tls_skip_verify: "true"'
    ),
    good=(
        "metadata:\n"
        "  annotations:\n"
        '    ingress.pomerium.io/secure_upstream: "true"\n'
        "    ingress.pomerium.io/tls_custom_ca_secret: internal-ca"
    ),
    check=check,
)
