"""`python -m stereos` runs the command line."""

from stereos.cli import main

main()
