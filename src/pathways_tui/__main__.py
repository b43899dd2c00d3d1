"""``python -m pathways_tui [--rules DIR] [--lang zh|en]``: the same as ``pathways wizard``."""

import sys

from pathways.cli import main

if __name__ == "__main__":  # pragma: no cover
    main(["wizard", *sys.argv[1:]])
