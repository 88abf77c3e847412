"""`python -m pomgate.worker DIR`: run a worker for DIR in the foreground (`pomgate hook --daemon` starts it)."""

from __future__ import annotations

import logging
import sys

from pomgate.worker.server import Worker


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: python -m pomgate.worker DIRECTORY", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    return Worker(sys.argv[1]).serve()


sys.exit(main())
