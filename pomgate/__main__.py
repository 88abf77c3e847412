"""`python -m pomgate`."""

from pomgate.cli.app import main

main()
