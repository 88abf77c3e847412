"""Upstream rules: how Pomerium talks to the backend."""
