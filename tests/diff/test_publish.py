"""What decides whether a diff is worth a comment."""

from pomgate.diff.publish import has_changes


def test_a_risk_alone_is_a_change_worth_commenting_on() -> None:
    quiet = {"added": 0, "removed": 0, "changed": 0, "introduced": 0, "fixed": 0, "risks": 0}
    assert not has_changes({"summary": quiet})
    # A pull request that only loosens .pomgate.yaml changes no route, yet raises config_changed.
    assert has_changes({"summary": {**quiet, "risks": 1}})
    assert has_changes({"summary": {**quiet, "added": 1}})
