"""Access rules: who a route lets in (no policy, public routes)."""
