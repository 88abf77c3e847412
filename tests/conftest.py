"""Suite-wide isolation: pomgate's per-user state (scan caches, their key) goes to a folder of this run."""

import os
import tempfile

# Set before any test runs, so subprocesses started by tests (pomgate, pre-commit, the worker) inherit it.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="pomgate-test-cache-")
os.environ.pop("POMGATE_CACHE_DIR", None)
