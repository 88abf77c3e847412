"""The access diff: who gains and who loses access when a route's policy changes.

Each case names the exact classes the change adds or removes. The classes are then checked against
both policies directly: a class that gains access is admitted by the new policy for every member,
and its witness was not admitted before; a class that loses access is admitted by the new policy for
no member, and its witness was admitted before. The witness is also evaluated by a real Rego engine
running the Rego that Pomerium's generator would produce (tests/policy_rego), not by pomgate itself.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from pomgate.diff.access import AccessChange, _box_points, _classes, _grid, compare_access
from pomgate.translation.evaluation import evaluate, route_rules


def policy(text: str) -> dict[str, Any]:
    return {"policy": yaml.safe_load(text)}


def change(old: dict[str, Any], new: dict[str, Any]) -> AccessChange:
    return compare_access(route_rules(old), route_rules(new))


DOMAIN = policy("allow: {and: [{domain: {is: example.com}}]}")

WIDENINGS = [
    pytest.param(
        policy("allow: {and: [{email: alice@example.com}, {groups: {has: admins}}]}"),
        policy("allow: {or: [{email: alice@example.com}, {groups: {has: admins}}]}"),
        ["alice@example.com", "users in group admins"],
        id="and-to-or",
    ),
    pytest.param(
        DOMAIN, policy("allow: {and: [{authenticated_user: true}]}"), ["any signed-in user"], id="domain-to-any"
    ),
    pytest.param(
        DOMAIN, policy("allow: {and: [{domain: {is: gmail.com}}]}"), ["users at gmail.com"], id="domain-changed"
    ),
    pytest.param(
        policy("[{allow: {and: [{domain: {is: example.com}}]}}, {deny: {or: [{email: mallory@example.com}]}}]"),
        DOMAIN,
        ["mallory@example.com"],
        id="deny-removed",
    ),
    pytest.param(
        policy("allow: {and: [{email: alice@example.com}]}"),
        policy("allow: {not: [{email: alice@example.com}]}"),
        ["anonymous visitors", "users other than alice@example.com"],
        id="and-to-not",
    ),
    pytest.param(
        {"allowed_users": ["bob@example.com"]},
        {"allow_any_authenticated_user": True},
        ["any signed-in user"],
        id="users-to-any-authenticated",
    ),
    pytest.param(
        policy("allow: {or: [{email: {is: admin@example.com}}]}"),
        policy("allow: {or: [{email: {ends_with: '@example.com'}}]}"),
        ["emails ending with '@example.com' other than admin@example.com"],
        id="is-to-ends-with",
    ),
    pytest.param(
        policy("allow: {and: [{domain: {is: example.com}}], nor: [{http_method: {in: [DELETE, PUT]}}]}"),
        policy("allow: {and: [{domain: {is: example.com}}], nor: [{http_method: {in: [DELETE]}}]}"),
        ["anyone, signed in or not, for PUT requests"],
        id="nor-narrowed-list-widens",
    ),
    pytest.param(
        DOMAIN,
        policy("allow: {and: [{domain: {is: example.com}}], not: [{groups: {has: contractors}}]}"),
        ["anonymous visitors", "users not in group contractors"],  # `not` inverts "not signed in" too
        id="not-added-admits-more",
    ),
    pytest.param(
        policy("allow: {or: [{groups: {has: admins}}]}"),
        policy("allow: {or: [{groups: {has: admins}}, {groups: {has: contractors}}]}"),
        ["users in group contractors"],
        id="group-added",
    ),
    pytest.param(
        policy("allow: {or: [{claim/department: eng}]}"),
        policy("allow: {or: [{claim/department: eng}, {claim/department: contractors}]}"),
        ['users with claim department="contractors"'],
        id="claim-value-added",
    ),
    pytest.param(
        {"allowed_domains": ["example.com"]},
        {"allow_public_unauthenticated_access": True},
        ["anyone, signed in or not"],
        id="private-to-public",
    ),
    pytest.param(
        policy("allow: {and: [{domain: {is: example.com}}, {http_path: {starts_with: /api}}]}"),
        policy("allow: {and: [{domain: {is: example.com}}]}"),
        ["users at example.com"],
        id="path-restriction-dropped",
    ),
    pytest.param(
        policy("allow: {or: [{groups: {is: admins}}]}"),
        policy("allow: {or: [{groups: {has: admins}}]}"),
        ["users in group admins"],  # admitted as a whole now; those in more groups than admins gain
        id="list-is-to-has",
    ),
    pytest.param(
        policy("allow: {or: [{email: {in: [a@example.com]}}]}"),
        policy("allow: {or: [{email: {in: [a@example.com, b@example.com]}}]}"),
        ["b@example.com"],
        id="in-list-grows",
    ),
    pytest.param(
        policy("allow: {or: [{email: {starts_with: admin}}]}"),
        policy("allow: {or: [{email: {contains: admin}}]}"),
        ["emails containing 'admin' other than emails starting with 'admin'"],
        id="starts-with-to-contains",
    ),
    pytest.param(
        policy("allow: {or: [{source_ip: 10.0.0.0/8}]}"),
        policy("allow: {or: [{source_ip: [10.0.0.0/8, 192.168.0.0/16]}]}"),
        ["anyone, signed in or not, for from 192.168.0.0/16"],
        id="source-range-added",
    ),
]


@pytest.mark.parametrize(("old", "new", "gained"), WIDENINGS)
def test_each_widening_names_exactly_the_classes_that_gain_access(
    old: dict[str, Any], new: dict[str, Any], gained: list[str]
) -> None:
    found = change(old, new)
    assert [item.words for item in found.gained] == gained
    assert_classes_hold(old, new, found)


NARROWINGS = [
    pytest.param(DOMAIN, policy("allow: {and: [{domain: {is: gmail.com}}]}"), ["users at example.com"], id="domain"),
    pytest.param(
        {"allow_public_unauthenticated_access": True},
        {"allowed_domains": ["example.com"]},
        ["anonymous visitors", "users not at example.com"],
        id="public-to-private",
    ),
    pytest.param({"allowed_domains": ["example.com"]}, {}, ["anyone, signed in or not"], id="admits-nobody"),
]


@pytest.mark.parametrize(("old", "new", "lost"), NARROWINGS)
def test_each_narrowing_names_exactly_the_classes_that_lose_access(
    old: dict[str, Any], new: dict[str, Any], lost: list[str]
) -> None:
    found = change(old, new)
    assert [item.words for item in found.lost] == lost
    assert_classes_hold(old, new, found)


REWRITES = [
    pytest.param(
        policy("allow: {and: [{email: a@example.com}]}"),
        policy("allow: {or: [{email: a@example.com}]}"),
        id="and-or-of-one",
    ),
    pytest.param(
        policy("allow: {or: [{domain: {is: example.com}}, {groups: {has: sre}}]}"),
        {"policy": json.loads('{"allow": {"or": [{"groups": "sre"}, {"domain": "example.com"}]}}')},
        id="yaml-to-json-reordered-shorthand",
    ),
    pytest.param(
        {"allowed_users": ["a@example.com", "b@example.com"]},
        {"allowed_users": ["b@example.com", "a@example.com"]},
        id="reordered-users",
    ),
    pytest.param(
        {"allowed_domains": ["example.com"]},
        policy("allow: {or: [{domain: {is: example.com}}]}"),
        id="option-to-policy",
    ),
    pytest.param(
        policy("allow: {not: [{email: x@example.com}, {email: y@example.com}]}"),
        policy("allow: {and: [{email: {not_in: [x@example.com, y@example.com]}}]}"),
        id="not-of-two-to-not-in",
    ),
]


@pytest.mark.parametrize(("old", "new"), REWRITES)
def test_a_rewrite_with_the_same_meaning_changes_nobody_s_access(old: dict[str, Any], new: dict[str, Any]) -> None:
    found = change(old, new)
    assert found.unchanged and not found.became_public and not found.deny_removed


def test_flags_say_public_nobody_and_deny_removed() -> None:
    assert change(DOMAIN, {"allow_public_unauthenticated_access": True}).became_public
    assert not change(DOMAIN, {"allow_any_authenticated_user": True}).became_public
    assert change(DOMAIN, {}).admits_nobody
    assert not change(DOMAIN, policy("allow: {or: [{domain: {is: gmail.com}}]}")).admits_nobody
    with_deny = policy("[{allow: {and: [{domain: {is: example.com}}]}}, {deny: {or: [{email: m@example.com}]}}]")
    assert change(with_deny, DOMAIN).deny_removed == ['deny if email is "m@example.com"']


def test_an_unknowable_input_is_said_not_guessed() -> None:
    old = policy("allow: {and: [{domain: {is: example.com}}]}")
    new = policy("allow: {or: [{domain: {is: example.com}}, {device: {approved: true}}]}")
    found = change(old, new)
    assert [item.depends_on for item in found.gained] == [("the device",)]
    assert found.gained[0].words.endswith("(depending on the device)")


def assert_classes_hold(old: dict[str, Any], new: dict[str, Any], found: AccessChange) -> None:
    """Every class is what it claims, by direct evaluation and (for the witness) by a real Rego engine."""
    old_rules, new_rules = route_rules(old), route_rules(new)
    grid = _grid(old_rules, new_rules)
    for items, admitted_after in ((found.gained, True), (found.lost, False)):
        for item in items:
            before = evaluate(old_rules, item.witness_identity, item.witness_request).decision
            after = evaluate(new_rules, item.witness_identity, item.witness_request).decision
            assert (before, after) == (("deny", "allow") if admitted_after else ("allow", "deny")), item.words
            assert rego_decision(old_rules, item) is not admitted_after
            assert rego_decision(new_rules, item) is admitted_after
            signed_in = item.data.get("signed_in")
            box = [
                dimension.values.index(item.data[dimension.name]) if dimension.name in item.data else -1
                for dimension in grid.dimensions
            ]
            members = list(_box_points(grid, signed_in, box)) if not _has_memberships(item.data) else []
            for point in members:
                assert (grid.new[point].decision == "allow") is admitted_after, (item.words, point)


def _has_memberships(data: dict[str, Any]) -> bool:
    return "groups" in data or "claims" in data  # their dimensions are booleans per literal, checked above


def rego_decision(rules: Any, item: Any) -> bool:
    from tests.policy_rego.rego_generator import rego_decision as decide

    return bool(decide(rules, item.witness_identity, item.witness_request))


def test_classes_are_boxes_grown_inside_the_changed_region() -> None:
    old, new = route_rules(DOMAIN), route_rules(policy("allow: {and: [{authenticated_user: true}]}"))
    grid = _grid(old, new)
    gained = {p for p in grid.new if grid.new[p].decision == "allow" and grid.old[p].decision != "allow"}
    boxes = _classes(grid, gained, lambda p: grid.new[p].decision != "deny")
    assert boxes == [(True, tuple(-1 for _ in grid.dimensions))]
