"""Safe YAML reading that remembers where every value came from.

PyYAML's ``safe_load`` silently keeps the last of two duplicate keys and forgets positions; a
consultant's typo would vanish and errors could not point at a line. Here a document is composed
with the safe loader, then built into ``LocDict``/``LocList`` containers that know the line and
column of each key and item. Duplicate keys are errors; aliases, nesting and file size are bounded.
Booleans follow YAML 1.2 (only ``true``/``false``): ``yes``, ``no``, ``on`` and ``off`` stay text.
Other YAML 1.1 leftovers are gone too: ``1:20`` (base 60) and ``010`` (octal) stay text instead of
becoming 80 and 8. A tag is refused on a mapping or a list (it would silently be ignored), an
impossible date (``2026-02-30``) is a positioned error, and so are control characters and bytes
that are not UTF-8 (on their own line).
"""

from __future__ import annotations

import gc
import re
from pathlib import Path
from typing import Any, Protocol

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from ._errors import RuleIssue

__all__ = [
    "LocDict",
    "LocList",
    "MAX_FILE_BYTES",
    "YamlFailure",
    "decode_utf8",
    "load_yaml_file",
    "load_yaml_text",
    "position",
    "text_position",
]

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ALIASES = 200
MAX_NODES = 200_000
MAX_DEPTH = 64


class LocDict(dict[Any, Any]):
    """A dict that remembers the position of itself and of each key."""

    line: int = 0
    column: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.key_pos: dict[Any, tuple[int, int]] = {}
        self.value_pos: dict[Any, tuple[int, int]] = {}


class LocList(list[Any]):
    """A list that remembers the position of itself and of each item."""

    line: int = 0
    column: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.item_pos: list[tuple[int, int]] = []


_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # LibYAML when available: ~10x faster


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """The safe loader with YAML 1.2 booleans."""


_YAML11_ONLY = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag not in _YAML11_ONLY]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
# PyYAML's int and float without base 60 (1:20 -> 80) and without octal by a leading zero (010 -> 8)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?0b[01_]+)$"),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?
                   |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
                   |[-+]?\.(?:inf|Inf|INF)
                   |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


class _Mark(Protocol):
    line: int
    column: int


def _position(mark: _Mark | None) -> tuple[int, int]:
    """Line and column (from 1) of a parser event's mark (the parsers always set one)."""
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


_PLAIN_TAGS: dict[type[Node], str] = {MappingNode: "tag:yaml.org,2002:map", SequenceNode: "tag:yaml.org,2002:seq"}
# what YAML does not allow in a file (the reader's own test, to find the line it names)
_NOT_PRINTABLE = re.compile(r"[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


class _PyLoader(yaml.SafeLoader):
    """The pure-Python loader, for its clearer syntax-error messages."""


_PyLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


class YamlFailure(Exception):
    """Reading failed; ``issue`` says where and why."""

    def __init__(self, issue: RuleIssue) -> None:
        super().__init__(str(issue))
        self.issue = issue


class _Builder:
    def __init__(self, loader: _Loader, filename: str) -> None:
        self.loader = loader
        self.filename = filename
        self.nodes = 0
        self.loader_text = ""
        self.aliases = 0

    def check_aliases(self, root: Node) -> None:
        """Count aliases (edges to a node already met) without expanding them."""
        seen: set[int] = set()
        stack = [root]
        aliases = 0
        while stack:
            node = stack.pop()
            if id(node) in seen:
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise YamlFailure(
                        RuleIssue(
                            "PW102",
                            f"more than {MAX_ALIASES} aliases in one file",
                            self.filename,
                            *self.alias_position(MAX_ALIASES + 1),
                        )
                    )
                continue
            seen.add(id(node))
            if isinstance(node, MappingNode):
                for key, value in node.value:
                    stack.extend((key, value))
            elif isinstance(node, SequenceNode):
                stack.extend(node.value)

    def alias_position(self, number: int) -> tuple[int, int]:
        """Where the ``number``-th alias of the document stands (composed nodes forget it)."""
        seen = 0
        for event in yaml.parse(self.loader_text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                seen += 1
                if seen == number:
                    return _position(event.start_mark)
        return 1, 1

    def fail(self, code: str, message: str, node: Node) -> YamlFailure:
        mark = node.start_mark
        return YamlFailure(RuleIssue(code, message, self.filename, mark.line + 1, mark.column + 1))

    def build(self, node: Node, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(
                "PW102", f"document too large: more than {MAX_NODES} values (aliases expanding too far?)", node
            )
        if depth > MAX_DEPTH:
            raise self.fail("PW102", f"nesting deeper than {MAX_DEPTH} levels", node)
        if not isinstance(node, ScalarNode) and node.tag != _PLAIN_TAGS[type(node)]:
            what = "mapping" if isinstance(node, MappingNode) else "list"
            raise self.fail(
                "PW100", f"unknown tag '{node.tag}' on a {what}; rule files take plain YAML without tags", node
            )
        if isinstance(node, MappingNode):
            result = LocDict()
            result.line, result.column = node.start_mark.line + 1, node.start_mark.column + 1
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise self.fail("PW100", "merge keys ('<<') are not supported in rule files", key_node)
                key = self.build(key_node, depth + 1)
                if not isinstance(key, (str, int, float, bool)) or key is None:
                    raise self.fail("PW100", "a mapping key must be a plain word", key_node)
                if key in result:
                    first_line = result.key_pos[key][0]
                    raise self.fail(
                        "PW101",
                        f"duplicate key '{key}' (first defined on line {first_line}); "
                        "YAML would silently keep only the last one",
                        key_node,
                    )
                result[key] = self.build(value_node, depth + 1)
                result.key_pos[key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                result.value_pos[key] = (value_node.start_mark.line + 1, value_node.start_mark.column + 1)
            return result
        if isinstance(node, SequenceNode):
            items = LocList()
            items.line, items.column = node.start_mark.line + 1, node.start_mark.column + 1
            for child in node.value:
                items.append(self.build(child, depth + 1))
                items.item_pos.append((child.start_mark.line + 1, child.start_mark.column + 1))
            return items
        assert isinstance(node, ScalarNode)
        if node.tag == "tag:yaml.org,2002:str":
            return node.value  # the common case, without the constructor's machinery
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise self.fail("PW100", f"invalid value: {getattr(exc, 'problem', exc)}", node) from None
        except (ValueError, OverflowError) as exc:  # a date such as 2026-02-30, or hour 25
            what = "date" if node.tag == "tag:yaml.org,2002:timestamp" else "value"
            raise self.fail("PW100", f"invalid {what} '{node.value}': {exc}", node) from None


def load_yaml_text(text: str, filename: str) -> Any:
    """Parse one YAML document into located containers; raise YamlFailure on any problem."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise YamlFailure(RuleIssue("PW102", f"file larger than {MAX_FILE_BYTES // 1024} KiB", filename, 1, 1))
    loader = _Loader(text)
    collecting = gc.isenabled()
    gc.disable()  # building thousands of small containers would trigger the cyclic GC over and over
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        builder = _Builder(loader, filename)
        builder.loader_text = text
        if "*" in text:  # no alias without an asterisk
            builder.check_aliases(node)
        return builder.build(node)
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in str(exc.problem):  # LibYAML's own limit (1,000)
            raise _deep_failure(text, filename) from None
        if not isinstance(loader, _PyLoader) and _Loader is not _PyLoader:
            return _syntax_error_detail(text, filename, exc)
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlFailure(RuleIssue("PW100", f"YAML syntax error: {problem}", filename, line, column)) from None
    except ReaderError as exc:
        raise YamlFailure(_reader_issue(text, filename, exc)) from None
    except yaml.YAMLError as exc:
        raise YamlFailure(RuleIssue("PW100", f"YAML error: {exc}", filename, 1, 1)) from None
    except RecursionError:  # composing nests one call per level: far beyond MAX_DEPTH
        raise _deep_failure(text, filename) from None
    finally:
        if collecting:
            gc.enable()
        loader.dispose()


def text_position(text: str, index: int) -> tuple[int, int]:
    """(line, column), 1-based, of the character at ``index``."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _reader_issue(text: str, filename: str, exc: ReaderError) -> RuleIssue:
    """A character YAML does not allow, on its own line (the reader counts characters, not lines)."""
    bad = _NOT_PRINTABLE.search(text)
    if bad is None:
        return RuleIssue("PW100", f"YAML error: {exc.reason}", filename, 1, 1)
    line, column = text_position(text, bad.start())
    return RuleIssue(
        "PW100",
        f"character U+{ord(bad.group()):04X} is not allowed in YAML ({exc.reason}); "
        "write it as an escape in a double-quoted text if it is meant",
        filename,
        line,
        column,
    )


def _deep_failure(text: str, filename: str) -> YamlFailure:
    line, column = _too_deep(text)
    return YamlFailure(RuleIssue("PW102", f"nesting deeper than {MAX_DEPTH} levels", filename, line, column))


def _too_deep(text: str) -> tuple[int, int]:
    """Where the nesting first goes deeper than MAX_DEPTH (the parsers themselves do not recurse;
    LibYAML's scans ahead and stops at its own limit first, so the pure-Python one goes second)."""
    for loader in (_Loader, _PyLoader):
        depth = 0
        try:
            for event in yaml.parse(text, Loader=loader):
                if isinstance(event, yaml.CollectionStartEvent):
                    depth += 1
                    if depth > MAX_DEPTH + 1:
                        return _position(event.start_mark)
                elif isinstance(event, yaml.CollectionEndEvent):
                    depth -= 1
        except yaml.YAMLError:
            continue
    return 1, 1


def decode_utf8(raw: bytes, name: str) -> str:
    """The text of ``raw``; YamlFailure naming the line and column of the first byte that is not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw.count(b"\n", 0, exc.start) + 1
        column = len(raw[start : exc.start].decode("utf-8", "replace")) + 1
        raise YamlFailure(
            RuleIssue(
                "PW100", f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8", name, line, column
            )
        ) from None


def _syntax_error_detail(text: str, filename: str, first: yaml.MarkedYAMLError) -> Any:
    """Re-read with the pure-Python parser: same positions, messages that read better."""
    loader = _PyLoader(text)
    try:
        loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        first = exc
    except (yaml.YAMLError, RecursionError):
        pass
    finally:
        loader.dispose()
    mark = first.problem_mark or first.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = first.problem or first.context or "invalid YAML"
    raise YamlFailure(RuleIssue("PW100", f"YAML syntax error: {problem}", filename, line, column))


def load_yaml_file(path: Path, display_name: str | None = None) -> Any:
    """Read and parse one file; raise YamlFailure naming the file on any problem."""
    name = display_name or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise YamlFailure(RuleIssue("PW102", f"file larger than {MAX_FILE_BYTES // 1024} KiB", name, 1, 1))
        raw = path.read_bytes()
    except FileNotFoundError:
        raise YamlFailure(RuleIssue("PW103", "file not found", name)) from None
    except OSError as exc:
        raise YamlFailure(RuleIssue("PW103", f"cannot read file: {exc.strerror}", name)) from None
    return load_yaml_text(decode_utf8(raw, name), name)


def position(root: Any, path: tuple[Any, ...]) -> tuple[int, int]:
    """The best known (line, column) for a path of keys/indices inside located containers."""
    best = (getattr(root, "line", 0), getattr(root, "column", 0))
    node = root
    for step in path:
        if isinstance(node, LocDict):
            if step in node:
                best = node.value_pos.get(step, best)
                node = node[step]
                continue
            return best
        if isinstance(node, LocList) and isinstance(step, int) and 0 <= step < len(node):
            best = node.item_pos[step]
            node = node[step]
            continue
        return best
    if isinstance(node, (LocDict, LocList)) and node.line:
        best = (node.line, node.column)
    return best
