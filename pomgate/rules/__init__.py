"""The lint rule catalog: one module per rule, each with id, severity, explanation and example.

Rules whose problems the translator itself finds (an unknown annotation, a bad policy) are
*descriptors*: they document the id the translator emits. Rules that look across objects or at
what a reviewer should see also carry a ``check`` function that runs after translation.
"""

from __future__ import annotations

from pomgate.rules.base import Rule, RuleContext, all_rules, get_rule, run_checks

__all__ = ["Rule", "RuleContext", "all_rules", "get_rule", "run_checks"]
