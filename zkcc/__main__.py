"""`python -m zkcc ...`: the same command line as the `zkcc` entry point."""

from zkcc.cli import main

main()
