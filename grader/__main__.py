"""``python -m grader`` runs the ``forge-grade`` command."""

from grader.cli import main

main(prog_name="forge-grade")
