"""Mechanical fixes: hints in the file's own syntax, and the safe edits `pomgate check --fix` applies."""

from pomgate.fixes.suggest import Fix, TextEdit, suggest_fix

__all__ = ["Fix", "TextEdit", "suggest_fix"]
