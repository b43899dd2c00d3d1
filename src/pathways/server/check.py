"""Compile a rule base in a throw-away process: ``python -m pathways.server.check DIR``.

The server runs this before it loads a rule base itself (at start-up and on every reload): a rule
base that makes the inference engine hang or crash takes down only this process, and the server
refuses it. Prints one JSON line: ``{"ok": true, "id", "version", "hash"}`` or
``{"ok": false, "issues": [...]}``. Exit codes: 0 ok, 2 invalid rule base, 3 engine failure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m pathways.server.check RULES_DIR", file=sys.stderr)
        return 2
    from .. import evaluate, next_question
    from .._errors import EngineError, RuleBaseError
    from .._loader import load_rule_base
    from .._run import compiled

    try:
        rb = load_rule_base(Path(args[0]))
        compiled(rb).engine.prepare()  # register every route's ruleset: refuse what the engine refuses
        # exercise the engine once: a base that crashes on evaluation is refused as well
        evaluate(rb, {})
        next_question(rb, {})
    except RuleBaseError as exc:
        print(json.dumps({"ok": False, "issues": [i.to_dict() for i in exc.issues]}, ensure_ascii=False))
        return 2
    except EngineError as exc:
        print(json.dumps({"ok": False, "issues": [{"code": "engine", "message": str(exc)}]}))
        return 3
    print(json.dumps({"ok": True, "id": rb.id, "version": rb.version, "hash": rb.content_hash}))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
