"""Pull-request diffs: both revisions rendered from git objects, compared route by route."""
