"""`python -m trainer` runs the same CLI as the `trainer` command."""

from trainer.cli import main

main()
