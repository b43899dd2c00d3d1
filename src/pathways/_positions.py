"""Where each entry of the rule files stands: the positions the loaded models no longer carry.

The manifest and every listed rule file are read again with positions (``raw_files``);
``Positions`` answers "which file, line and column" for an entry, one of its keys or a question's
option. Used by lint, coverage and diff to point at the YAML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._loader import RuleBase
from ._yaml import LocDict, LocList, YamlFailure, load_yaml_file

__all__ = ["Positions", "raw_files"]


def _display(rb: RuleBase, path: Path) -> str:
    try:
        return str(path.relative_to(rb.root.parent))
    except ValueError:
        return str(path)


def raw_files(rb: RuleBase) -> dict[str, tuple[Path, Any]]:
    """The manifest and every listed rule file, parsed with positions: display name -> (path, data)."""
    out: dict[str, tuple[Path, Any]] = {}
    for name in ["rulebase.yaml", *rb.manifest.files]:
        path = rb.root / name
        display = _display(rb, path)
        try:
            out[display] = (path, load_yaml_file(path, display))
        except YamlFailure:  # pragma: no cover - the loader read it a moment ago
            continue
    return out


class Positions:
    """Where each entry (and each of its keys) of the rule files stands."""

    def __init__(self, rb: RuleBase) -> None:
        self.files = raw_files(rb)
        self.entries: dict[tuple[str, str], tuple[str, LocDict]] = {}
        for display, (_, data) in self.files.items():
            if not isinstance(data, LocDict):
                continue
            route = data.get("route")
            if isinstance(route, LocDict) and isinstance(route.get("id"), str):
                self.entries.setdefault(("route", route["id"]), (display, route))
            for section in ("authorities", "sources", "questions", "facts", "items"):
                entries = data.get(section)
                if not isinstance(entries, LocList):
                    continue
                for entry in entries:
                    if isinstance(entry, LocDict) and isinstance(entry.get("id"), str):
                        self.entries.setdefault((section, entry["id"]), (display, entry))

    def at(self, section: str, ident: str, *keys: Any) -> tuple[str, int, int]:
        """file, line, column of an entry's id (or of a key path inside it)."""
        found = self.entries.get((section, ident))
        if found is None:
            return ("rulebase.yaml", 0, 0)
        display, entry = found
        node: Any = entry
        best = entry.value_pos.get("id", (entry.line, entry.column))
        for key in keys:
            if isinstance(node, LocDict) and key in node:
                best = node.value_pos.get(key, best)
                node = node[key]
            elif isinstance(node, LocList) and isinstance(key, int) and 0 <= key < len(node):
                best = node.item_pos[key]
                node = node[key]
            else:
                break
        return (display, best[0], best[1])

    def key_at(self, section: str, ident: str, key: str) -> tuple[str, int, int]:
        found = self.entries.get((section, ident))
        if found is None:
            return ("rulebase.yaml", 0, 0)
        display, entry = found
        line, col = entry.key_pos.get(key, (entry.line, entry.column))
        return (display, line, col)

    def option_at(self, qid: str, value: str) -> tuple[str, int, int]:
        found = self.entries.get(("questions", qid))
        if found is None:
            return ("rulebase.yaml", 0, 0)
        display, entry = found
        options = entry.get("options")
        if isinstance(options, LocList):
            for index, option in enumerate(options):
                if isinstance(option, LocDict) and str(option.get("value")) == value:
                    line, col = option.value_pos.get("value", options.item_pos[index])
                    return (display, line, col)
        return self.at("questions", qid)
