"""The authoring tools, for the consultants who maintain the rules: ``lint`` (load and compile
errors, then warnings), ``scenarios`` (a rule base's own tests) and their ``coverage``, ``diff``
(what a change of the rules means for the checklists) and ``schemas`` (the editor schema of the
rule files).

Nothing at run time imports this package (an import-linter contract in pyproject.toml): loading
a rule base, evaluating answers, the server and the wizard never load the linter. The command
line imports each tool when its command runs.
"""
