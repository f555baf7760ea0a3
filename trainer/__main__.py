"""`python -m trainer` runs the same CLI as the `trainer` command."""

from trainer.entry import main

main()
