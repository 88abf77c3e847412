"""Cross-check of pomgate's policy evaluator against a real Rego engine (regopy)."""
