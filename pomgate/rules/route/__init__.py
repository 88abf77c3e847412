"""Rules about what Pomerium core rejects when it validates a translated route."""
