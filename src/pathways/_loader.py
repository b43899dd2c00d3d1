"""Loading a rule base: files → validated models → checked cross-references and graphs.

Every problem is collected (not just the first) as a RuleIssue with file, line, column and a
stable code; the caller gets a RuleBaseError listing them all. The steps, each in its module:

* here: the ``RuleBase``, reading the manifest and the files it lists (``_Loader``), and the
  entry points ``load_rule_base`` and ``check_rule_base``;
* ``_validate``: each file validated entry by entry, pydantic's errors as positioned issues;
* ``_assemble``: the cross-references, giving the ``*Def`` definitions the rule base holds;
* ``_graphs``: cycles and the order of the partitions.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic

from ._assemble import CORE, Assembled, FactRuleDef, ItemDef, QuestionDef, RouteDef, assemble
from ._conditions import facts_of
from ._errors import RuleBaseError, RuleIssue, suggest
from ._models import FileName, Manifest
from ._validate import CheckedFile, Validator
from ._yaml import YamlFailure, load_yaml_file, position

if TYPE_CHECKING:
    from ._run import Compiled

__all__ = [
    "FactRuleDef",
    "ItemDef",
    "LoadReport",
    "QuestionDef",
    "RouteDef",
    "RuleBase",
    "check_rule_base",
    "load_rule_base",
    "default_rules_dir",
    "CORE",
]


def _feeding(name: str, trail: frozenset[str], direct: dict[str, set[str]], questions: Mapping[str, Any]) -> set[str]:
    """The questions ``name`` is derived from, transitively (``trail``: the facts on the way, against loops)."""
    found: set[str] = set()
    for dep in direct.get(name, ()):
        if dep in questions:
            found.add(dep)
        elif dep not in trail:
            found |= _feeding(dep, trail | {dep}, direct, questions)
    return found


@dataclass
class RuleBase(Assembled):
    """A loaded, checked rule base. Immutable in use; compile it with ``pathways.compile``.

    Its content (questions, fact rules, routes, items, authorities, sources, partitions) is the
    loader's ``Assembled``; this adds where it came from."""

    root: Path
    manifest: Manifest
    content_hash: str
    scenario_files: list[Path] = field(default_factory=list)
    _compiled: Compiled | None = None

    @property
    def id(self) -> str:
        return self.manifest.id

    @functools.cached_property
    def question_rank(self) -> dict[str, int]:
        """Each question's place in the wizard (file order)."""
        return {qid: i for i, qid in enumerate(self.questions)}

    @functools.cached_property
    def item_rank(self) -> dict[str, int]:
        return {iid: i for i, iid in enumerate(self.items)}

    @functools.cached_property
    def route_items(self) -> dict[str, frozenset[str]]:
        """route -> the ids of its items."""
        out: dict[str, set[str]] = {rid: set() for rid in self.routes}
        for iid, d in self.items.items():
            out.setdefault(d.route, set()).add(iid)
        return {rid: frozenset(ids) for rid, ids in out.items()}

    @functools.cached_property
    def route_rank(self) -> dict[str, int]:
        return {rid: i for i, rid in enumerate(self.routes)}

    @functools.cached_property
    def fact_rule_index(self) -> dict[str, FactRuleDef]:
        return {r.model.id: r for r in self.fact_rules}

    @property
    def version(self) -> str:
        return self.manifest.version

    def kinds(self) -> dict[str, str]:
        """closed (yes/no and choice questions), open (number, date, text) or derived."""
        return {
            name: (
                "derived"
                if info.kind == "derived"
                else "closed"
                if info.value_type in ("yes_no", "choice", "multi")
                else "open"
            )
            for name, info in self.symbols.items()
        }

    def possible_values(self, qid: str) -> tuple[object, ...]:
        """Every value a closed question's answer can put into the engine."""
        q = self.questions[qid].model
        if q.type == "yes_no":
            return (True, False)
        if q.type == "multi":
            return (*q.option_values, "__none__")
        return q.option_values

    def feeders(self) -> dict[str, tuple[str, ...]]:
        """For each derived fact (and route flag), the questions it is derived from, transitively."""
        direct: dict[str, set[str]] = {}
        for rule in self.fact_rules:
            for name in rule.model.set:
                direct.setdefault(name, set()).update(facts_of(rule.when))
        for rid, route in self.routes.items():
            direct.setdefault(f"route.{rid}", set()).update(facts_of(route.when))
        out: dict[str, tuple[str, ...]] = {}
        order = list(self.questions)
        for name in direct:
            out[name] = tuple(sorted(_feeding(name, frozenset({name}), direct, self.questions), key=order.index))
        return out

    def fact_partition(self, name: str) -> str:
        if name in self.questions:
            return self.questions[name].partition
        if name.startswith("route."):
            return CORE
        for rule in self.fact_rules:
            if name in rule.model.set:
                return rule.partition
        return CORE


def default_rules_dir() -> Path:
    """The shipped rule base: packaged with the wheel, or ``rules/`` in a source checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "_rules"
    if (packaged / "rulebase.yaml").is_file():
        return packaged
    return here.parent.parent / "rules"


def _unknown_reference(issue: RuleIssue) -> bool:
    """An issue saying that an id or a derived value is defined nowhere (PW120-PW124, PW131)."""
    return (
        issue.code in ("PW120", "PW121", "PW122", "PW123", "PW124")
        and "unknown" in issue.message
        or issue.code == "PW131"
        and "a value set for" in issue.message
    )


_FILE_NAME: pydantic.TypeAdapter[str] = pydantic.TypeAdapter(FileName)


def _listed(raw_manifest: Any, key: str) -> list[str | None]:
    """The file names under ``key`` of a manifest that failed validation; None in place of a name
    that is not valid (the manifest's own issues already say why)."""
    names = raw_manifest.get(key) if isinstance(raw_manifest, dict) else None
    if not isinstance(names, list):
        return []
    out: list[str | None] = []
    for name in names:
        try:
            out.append(_FILE_NAME.validate_python(name))
        except pydantic.ValidationError:
            out.append(None)
    return out


# ---- the loader ----------------------------------------------------------------------------

_FAILED = object()  # a file that could not be read or parsed (already reported)


class _Loader:
    """Reads the manifest and the files it lists; validation (``_validate``) and the cross-file
    checks (``_assemble``) do the rest. Every issue found is in ``issues``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.issues: list[RuleIssue] = []
        self.hasher = hashlib.sha256()
        self.validator = Validator(self.issues)
        self.unread_files: list[str] = []  # listed rule files missing, unreadable or not parsable

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent)) if self.root.parent != path else str(path)
        except ValueError:
            return str(path)

    def read(self, path: Path) -> Any:
        try:
            data = load_yaml_file(path, self.rel(path))
        except YamlFailure as failure:
            self.issues.append(failure.issue)
            return _FAILED
        # the content hash names files relative to the rule base, so a copy elsewhere hashes the same
        try:
            name = path.relative_to(self.root).as_posix()
        except ValueError:
            name = path.name
        self.hasher.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
        return data

    def load(self) -> tuple[RuleBase | None, list[Path]]:
        """The rule base (None when anything is wrong: every issue is in ``self.issues``) and the
        scenario files the manifest lists.

        Each file is checked whatever was found in the others, so one run reports every
        independent problem. What truly depends on an earlier step: nothing can be read without
        the directory and a parsable manifest (it lists the files), a file with a YAML syntax
        error has no entries to check, and the cross-file checks see only the entries that
        passed their own validation (see ``without_follow_on_errors``).
        """
        manifest_path = self.root / "rulebase.yaml"
        if not self.root.is_dir():
            what = (
                "not a rule base directory but a file: give the directory that holds rulebase.yaml"
                if self.root.exists()
                else "rule base directory not found"
            )
            self.issues.append(RuleIssue("PW103", what, str(self.root)))
            return None, []
        raw_manifest = self.read(manifest_path)
        if raw_manifest is _FAILED:
            return None, []
        manifest = self.validator.model(Manifest, raw_manifest, self.rel(manifest_path))
        # a manifest with a typo in its title still lists the files: check them too
        file_names = manifest.files if manifest is not None else _listed(raw_manifest, "files")
        scenario_names = manifest.scenarios if manifest is not None else _listed(raw_manifest, "scenarios")
        files = self.rule_files(raw_manifest, file_names)
        scenario_files = self.scenario_files(raw_manifest, scenario_names)
        content = assemble(files, self.validator.failed_sets, self.issues)
        if self.issues:
            self.issues = self.without_follow_on_errors()
            return None, scenario_files
        assert manifest is not None  # else its issues were reported
        rule_base = RuleBase(
            **{f.name: getattr(content, f.name) for f in fields(Assembled)},
            root=self.root,
            manifest=manifest,
            content_hash=self.hasher.hexdigest(),
            scenario_files=scenario_files,
        )
        return rule_base, scenario_files

    def rule_files(self, raw_manifest: Any, names: list[str] | list[str | None]) -> list[CheckedFile]:
        """The listed rule files that exist and parse, each validated entry by entry."""
        manifest_name = self.rel(self.root / "rulebase.yaml")
        files: list[CheckedFile] = []
        for index, name in enumerate(names):
            if name is None:
                continue
            path = self.root / name
            if not self.inside(name, path, raw_manifest, ("files", index)):
                continue
            if not path.is_file():
                line, col = position(raw_manifest, ("files", index))
                self.issues.append(
                    RuleIssue(
                        "PW160",
                        f"listed file '{name}' does not exist",
                        manifest_name,
                        line,
                        col,
                        suggest(name, [str(p.relative_to(self.root)) for p in self.root.rglob("*.y*ml")]),
                    )
                )
                self.unread_files.append(name)
                continue
            data = self.read(path)
            if data is _FAILED:
                self.unread_files.append(name)
                continue
            checked = self.validator.rule_file(data, self.rel(path))
            if checked is not None:
                files.append(checked)
        return files

    def scenario_files(self, raw_manifest: Any, names: list[str] | list[str | None]) -> list[Path]:
        """The listed scenario files that exist (read later, by ``pathways test`` and lint)."""
        out = []
        for index, name in enumerate(names):
            if name is None:
                continue
            path = self.root / name
            if not self.inside(name, path, raw_manifest, ("scenarios", index)):
                continue
            if not path.is_file():
                line, col = position(raw_manifest, ("scenarios", index))
                self.issues.append(
                    RuleIssue(
                        "PW160",
                        f"listed scenario file '{name}' does not exist",
                        self.rel(self.root / "rulebase.yaml"),
                        line,
                        col,
                    )
                )
            else:
                out.append(path)
        return out

    def inside(self, name: str, path: Path, raw_manifest: Any, where: tuple[Any, ...]) -> bool:
        """Whether a file the manifest lists lies inside the rule base (else a PW160 at its entry):
        not absolute, no '..', and no symlink out of it."""
        if Path(name).is_absolute() or ".." in Path(name).parts:
            why = "an absolute path" if Path(name).is_absolute() else "a path through '..'"
        else:
            try:
                outside = not path.resolve().is_relative_to(self.root.resolve())
            except (OSError, RuntimeError):  # a symlink loop
                outside = True
            if not outside:
                return True
            why = "a link to a file elsewhere"
        line, col = position(raw_manifest, where)
        self.issues.append(
            RuleIssue(
                "PW160",
                f"'{name}' points outside the rule base ({why}); list files "
                "by their path inside the rule base directory",
                self.rel(self.root / "rulebase.yaml"),
                line,
                col,
            )
        )
        return False

    def without_follow_on_errors(self) -> list[RuleIssue]:
        """Drop "unknown X" errors about entries that are already reported as invalid.

        A listed rule file that could not be read or parsed may define any id: until it parses, a
        reference cannot be told from a typo, so no reference is reported as unknown (a check that
        truly waits for the file's own error to be fixed).
        """
        if self.unread_files:
            return [issue for issue in self.issues if not _unknown_reference(issue)]
        failed_ids = self.validator.failed_ids
        if not failed_ids:
            return self.issues
        kept = []
        for issue in self.issues:
            if issue.code in ("PW120", "PW121", "PW122", "PW123", "PW124") and any(
                f"unknown {kind} '{fid}'" in issue.message or f"item '{fid}'" in issue.message
                for fid in failed_ids
                for kind in ("fact or question", "source", "authority", "item", "route", "parent")
            ):
                continue
            kept.append(issue)
        return kept


@dataclass(frozen=True)
class LoadReport:
    """What loading a rule base found: the rule base (None when anything is wrong), every issue,
    and the scenario files the manifest lists (readable even when the rule files are not)."""

    root: Path
    rule_base: RuleBase | None
    issues: list[RuleIssue]
    scenario_files: list[Path]
    # the ids written in the rule files, valid entries or not, by kind (routes, questions, derived,
    # items, authorities, sources): what scenario files may name even while the rule base is broken
    # (None when a listed rule file could not be read: its ids are not known)
    declared: dict[str, set[str]] | None = None


def check_rule_base(path: str | Path | None = None) -> LoadReport:
    """Load and check the rule base in ``path`` (default: the shipped one), collecting every issue."""
    root = Path(path) if path is not None else default_rules_dir()
    loader = _Loader(root.resolve() if root.exists() else root)
    rule_base, scenario_files = loader.load()
    # ids in a file that could not be parsed are unknown: scenarios are then checked for their form only
    declared = None if loader.unread_files else dict(loader.validator.declared)
    return LoadReport(loader.root, rule_base, loader.issues, scenario_files, declared)


def load_rule_base(path: str | Path | None = None) -> RuleBase:
    """Load and check the rule base in ``path`` (default: the shipped one).

    Raises RuleBaseError listing every problem found.
    """
    report = check_rule_base(path)
    if report.rule_base is None:
        raise RuleBaseError(report.issues, root=report.root)
    return report.rule_base
