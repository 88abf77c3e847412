"""access/public-route: a route anyone on the internet can reach without signing in."""

from __future__ import annotations

from collections.abc import Iterator

from pomgate.findings import Finding, Severity
from pomgate.rules.base import Rule, RuleContext
from pomgate.rules.review_helpers import annotation_field, hosts_of, ingress_routes, is_public


def check(context: RuleContext) -> Iterator[Finding]:
    """One warning per Ingress with a route that admits unauthenticated requests."""
    prefix = context.options.prefix
    for typed, routes in ingress_routes(context):
        public = [route for route in routes if is_public(route.fields)]
        if not public:
            continue
        by_flag = any(route.fields.get("allow_public_unauthenticated_access") is True for route in public)
        how = (
            f"{prefix}/allow_public_unauthenticated_access is true"
            if by_flag
            else f"{prefix}/policy has an allow rule that matches every request"
        )
        yield Finding(
            rule=RULE.id,
            severity=RULE.severity,
            message=f"public route: {hosts_of(public)} can be reached without signing in ({how})",
            obj=typed.ref,
            field=annotation_field(typed.model, prefix, "allow_public_unauthenticated_access", "policy"),
            hint="if this is intended, suppress it with the annotation "
            'pomgate.io/ignore: "access/public-route: <why it is public>"',
        )


RULE = Rule(
    id="access/public-route",
    severity=Severity.WARNING,
    summary="A route that admits requests without sign-in",
    explanation=(
        "allow_public_unauthenticated_access, or a policy whose allow rule matches every request (for "
        "example an `accept` criterion), turns off authentication for the route: Pomerium forwards any "
        "request from anywhere to the upstream. That is right for a status page or a webhook receiver and "
        "a serious leak for an internal tool, so a reviewer should see it; suppress it per Ingress with "
        "a reason once it is intended."
    ),
    bad='metadata:\n  annotations:\n    ingress.pomerium.io/allow_public_unauthenticated_access: "true"',
    good=(
        "metadata:\n"
        "  annotations:\n"
        '    ingress.pomerium.io/allow_public_unauthenticated_access: "true"\n'
        '    pomgate.io/ignore: "access/public-route: public status page"'
    ),
    check=check,
)
