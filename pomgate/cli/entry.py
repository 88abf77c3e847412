"""Console-script entry: `pomgate hook --daemon` goes to a running worker before anything is imported."""

from __future__ import annotations

import sys


def main() -> None:
    """Run the command line (in the worker for this directory when ``hook --daemon`` finds one)."""
    argv = sys.argv[1:]
    options = argv[: argv.index("--")] if "--" in argv else argv
    if options[:1] == ["hook"] and "--daemon" in options:
        from pomgate.worker.client import forward

        code = forward(argv)
        if code is not None:
            sys.exit(code)
    from pomgate.cli.app import main as run

    run()
