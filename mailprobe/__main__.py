"""`python -m mailprobe` runs the command-line interface."""

from mailprobe.cli import main

main()
