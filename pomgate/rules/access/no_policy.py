"""access/no-policy: a route whose settings let nobody in."""

from __future__ import annotations

from collections.abc import Iterator

from pomgate.findings import Finding, Severity
from pomgate.rules.base import Rule, RuleContext
from pomgate.rules.review_helpers import annotation_field, grants_anyone, hosts_of, ingress_routes


def check(context: RuleContext) -> Iterator[Finding]:
    """One warning per Ingress whose routes have no access setting that admits anybody."""
    prefix = context.options.prefix
    for typed, routes in ingress_routes(context):
        closed = [route for route in routes if not grants_anyone(route.fields)]
        if not closed:
            continue
        yield Finding(
            rule=RULE.id,
            severity=RULE.severity,
            message=f"no access policy: Pomerium denies every request to {hosts_of(closed)} "
            f"(no {prefix}/policy, allowed_users, allowed_domains, allowed_idp_claims, "
            "allow_any_authenticated_user or allow_public_unauthenticated_access)",
            obj=typed.ref,
            field=annotation_field(typed.model, prefix, "policy"),
            hint=f'{prefix}/policy: \'[{{"allow":{{"or":[{{"domain":{{"is":"example.com"}}}}]}}}}]\'',
        )


RULE = Rule(
    id="access/no-policy",
    severity=Severity.WARNING,
    summary="A route with no access policy: Pomerium denies everyone",
    explanation=(
        "Pomerium denies by default. A route without a policy annotation, without allowed_users / "
        "allowed_domains / allowed_idp_claims and without allow_any_authenticated_user or "
        "allow_public_unauthenticated_access (or with a policy that has no allow rule that can match) "
        "answers every request with 403. The controller accepts such an Ingress silently, so the mistake "
        "only shows when users cannot get in. cert-manager HTTP-01 solver Ingresses are exempt."
    ),
    bad=(
        "metadata:\n  name: wiki\n  annotations: {}            # no policy at all\nspec:\n  ingressClassName: pomerium"
    ),
    good=(
        "metadata:\n"
        "  name: wiki\n"
        "  annotations:\n"
        '    ingress.pomerium.io/policy: \'[{"allow":{"or":[{"domain":{"is":"example.com"}}]}}]\'\n'
        "spec:\n"
        "  ingressClassName: pomerium"
    ),
    check=check,
)
