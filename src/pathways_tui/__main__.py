"""``python -m pathways_tui [--rules DIR] [--lang zh|en]``: the same as ``pathways wizard``."""

from pathways.cli import cli

if __name__ == "__main__":  # pragma: no cover
    cli(["wizard", *__import__("sys").argv[1:]], prog_name="pathways")
