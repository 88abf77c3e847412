"""`python -m pomgate`."""

from pomgate.cli.entry import main

main()
