"""``python -m pathways``: the command line, as the ``pathways`` script runs it.

Only running the module imports the CLI (click); ``import pathways`` does not.
"""

from pathways.cli import main

if __name__ == "__main__":  # pragma: no cover - run as a subprocess by the tests
    main()
