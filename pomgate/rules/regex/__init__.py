"""Rules about regular expressions Envoy compiles with RE2."""
