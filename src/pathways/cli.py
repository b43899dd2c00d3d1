"""The command line: ``pathways checklist|next|explain|test|lint|schema``.

Exit codes: 0 ok; 1 findings (failed scenarios, lint errors); 2 bad input (rule base, answers,
options) with a message naming the file:line or the field; 3 an internal error (a bug: please
report it). Never a traceback.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ._answers import MAX_ANSWERS_BYTES, AnswerSet, read_answers_file
from ._dates import parse_date
from ._errors import AnswersError, EngineError, PathwaysError, RuleBaseError, RuleIssue
from ._files import terminal_safe, write_file
from ._loader import RuleBase, default_rules_dir, load_rule_base

if TYPE_CHECKING:
    from ._outcome import Outcome

__all__ = ["main"]

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
WEB_PORT = 8765  # pathways wizard --web (pathways serve, the HTTP API, has 8000)
F = TypeVar("F", bound=Callable[..., Any])


def _err(message: str) -> None:
    _echo(message, err=True)


def _guard(func: F) -> F:
    """Turn every error into a message and an exit code; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RuleBaseError as exc:
            for issue in exc.issues:
                _err(f"error: {_located(issue, exc.root)}")
            _err(f"the rule base has {len(exc.issues)} error(s)")
            sys.exit(EXIT_BAD_INPUT)
        except AnswersError as exc:
            for answer_issue in exc.issues:
                _err(f"error: {answer_issue}")
            sys.exit(EXIT_BAD_INPUT)
        except EngineError as exc:
            _err(f"internal error in the inference engine (please report it): {exc}")
            sys.exit(EXIT_INTERNAL)
        except PathwaysError as exc:
            _err(f"error: {exc}")
            sys.exit(EXIT_BAD_INPUT)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            _err("interrupted")
            sys.exit(130)
        except BrokenPipeError:
            sys.exit(EXIT_OK)
        except Exception as exc:  # pragma: no cover - a bug; say so plainly
            _err(f"internal error (please report it): {type(exc).__name__}: {exc}")
            sys.exit(EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]


def _openable(name: str, root: Path | None) -> str:
    """A file as the core names it (relative to the rule base directory's parent, whatever the
    current directory) as the user can open it: relative to the current directory when inside it,
    else absolute."""
    if root is None:
        return name
    path = Path(os.path.normpath(Path(root).absolute().parent / name))
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _located(issue: RuleIssue, root: Path | None) -> RuleIssue:
    return dataclasses.replace(issue, file=_openable(issue.file, root))


def _root(rules_dir: Path | None) -> Path:
    """The rule base directory as the loader sees it (links resolved), to name its files from."""
    root = rules_dir if rules_dir is not None else default_rules_dir()
    return root.resolve() if root.exists() else root


def _not_a_rule_base(rules_dir: Path | None) -> None:
    """Exit 2 when the rule base directory is missing: bad input, before any work starts."""
    if rules_dir is not None and not rules_dir.is_dir():
        what = "not a directory" if rules_dir.exists() else "rule base directory not found"
        _err(f"error: {rules_dir}: PW103: {what}")
        sys.exit(EXIT_BAD_INPUT)


rules_option = click.option(
    "--rules",
    "rules_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Rule base directory (default: the shipped rules/).",
)
lang_option = click.option(
    "--lang", type=click.Choice(["zh", "en"]), default="en", show_default=True, help="Language of the output."
)


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


as_of_option = click.option(
    "--as-of",
    "as_of",
    callback=_date,
    default=None,
    metavar="DATE",
    help="Evaluate the rules as they stood on DATE (YYYY-MM-DD; default: the answers file's as_of, else today).",
)


def _load(rules_dir: Path | None) -> RuleBase:
    return load_rule_base(rules_dir)


def _answers(path: str, rb: RuleBase) -> AnswerSet:
    answer_set = read_answers_file(path, _stdin() if path == "-" else None)
    wanted = answer_set.rulebase
    if wanted and (wanted.get("id") not in (None, rb.id) or wanted.get("version") not in (None, rb.version)):
        _err(
            f"warning: the answers were written for rule base {wanted.get('id')} {wanted.get('version')}; "
            f"evaluating with {rb.id} {rb.version}"
        )
    return answer_set


def _stdin() -> bytes:
    """Standard input as bytes: the answers reader decodes them and names the line of a bad byte."""
    return sys.stdin.buffer.read(MAX_ANSWERS_BYTES + 1)


def _echo(text: str, nl: bool = True, err: bool = False) -> None:
    """Print to standard output (or error); on a terminal without the control characters of rule or
    answer texts (an escape sequence could rewrite the screen or the terminal's title)."""
    stream = sys.stderr if err else sys.stdout
    click.echo(terminal_safe(text) if stream.isatty() else text, nl=nl, err=err)


def _write(text: str | bytes, output: Path | None) -> None:
    if output is None:
        if isinstance(text, bytes):
            if sys.stdout.isatty():
                raise click.UsageError(
                    "a PDF or XLSX is binary: write it to a file with -o FILE (or pipe standard output elsewhere)"
                )
            sys.stdout.buffer.write(text)
            sys.stdout.buffer.flush()
            return
        _echo(text, nl=False)
        return
    try:
        write_file(output, text)
    except OSError as exc:
        raise PathwaysError(f"cannot write {output}: {exc.strerror}") from None
    _err(f"wrote {output}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pathways")
def cli() -> None:
    """Which Chinese approval routes a product needs, and what each demands."""


@cli.command()
@click.argument("answers", type=str)
@rules_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "md", "html", "pdf", "xlsx"]),
    default=None,
    help="json (the outcome, with the technical trace), md, html (printable), pdf or xlsx (a "
    "tracker). Default: from the -o file's suffix, else md.",
)
@lang_option
@as_of_option
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write to FILE instead of standard output.",
)
@click.option(
    "--product",
    default=None,
    metavar="NAME",
    help="The product's name for the document's title (default: the case's, if the file has one).",
)
@click.option("--company", default=None, metavar="NAME", help="The company, shown under the title.")
@click.option(
    "--case-date",
    "case_date",
    callback=_date,
    default=None,
    metavar="DATE",
    help="The case's date (default: when the case was last saved, if the file says).",
)
@click.option(
    "--server",
    metavar="URL",
    default=None,
    help="Ask a pathways server (pathways serve) instead of evaluating here; the bearer token, "
    "if needed, comes from $PATHWAYS_TOKEN.",
)
@_guard
def checklist(
    answers: str,
    rules_dir: Path | None,
    fmt: str | None,
    lang: str,
    as_of: dt.date | None,
    output: Path | None,
    product: str | None = None,
    company: str | None = None,
    case_date: dt.date | None = None,
    server: str | None = None,
) -> None:
    """The checklist for an ANSWERS file (YAML or JSON; '-' reads standard input).

    A case saved by the wizard also gives the product's name, the case's date and the items ticked off.
    """
    from ._api import evaluate
    from ._document import CaseDetails
    from ._render import export

    fmt = fmt or _format_of(output)
    if server:
        outcome, answer_set = _remote_checklist(server, answers, lang, as_of)
    else:
        rb = _load(rules_dir)
        answer_set = _answers(answers, rb)
        outcome = evaluate(rb, answer_set.answers, as_of or answer_set.as_of, lang)
    case = CaseDetails.from_case_metadata(answer_set.case, product=product, company=company, case_date=case_date)
    data = export(outcome, fmt, case=case)
    _write(data if fmt in ("pdf", "xlsx") else data.decode("utf-8"), output)


def _format_of(output: Path | None) -> str:
    """The format a file's suffix asks for (``-o checklist.pdf``), else Markdown."""
    suffix = output.suffix.lower().lstrip(".") if output is not None else ""
    return (
        {"markdown": "md", "htm": "html"}.get(suffix, suffix)
        if suffix in ("json", "md", "markdown", "html", "htm", "pdf", "xlsx")
        else "md"
    )


@cli.command(name="next")
@click.argument("answers", type=str)
@rules_option
@lang_option
@as_of_option
@_guard
def next_(answers: str, rules_dir: Path | None, lang: str, as_of: dt.date | None) -> None:
    """The next question to ask for an ANSWERS file, with progress (JSON)."""
    from ._api import next_question

    rb = _load(rules_dir)
    answer_set = _answers(answers, rb)
    step = next_question(rb, answer_set.answers, lang, as_of or answer_set.as_of)
    _echo(step.model_dump_json(indent=2))


@cli.command()
@click.argument("answers", type=str)
@click.argument("item_id")
@rules_option
@lang_option
@as_of_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_guard
def explain(answers: str, item_id: str, rules_dir: Path | None, lang: str, as_of: dt.date | None, fmt: str) -> None:
    """Why ITEM_ID is, or is not, on the checklist for an ANSWERS file."""
    from ._api import explain as explain_item

    rb = _load(rules_dir)
    answer_set = _answers(answers, rb)
    result = explain_item(rb, answer_set.answers, item_id, as_of or answer_set.as_of, lang)
    if fmt == "json":
        _echo(result.model_dump_json(indent=2))
        return
    mark = "ON the checklist" if result.on_checklist else "NOT on the checklist"
    _echo(f"{result.item}: {result.title}")
    _echo(f"  {mark}" + (f" ({result.status})" if result.status else "") + f": {result.reason}")
    _echo(f"  route: {result.route} ({result.route_applies})")
    _echo(f"  condition: {result.condition}")
    for q, v in result.answers.items():
        _echo(f"  answer {q} = {v}")
    if result.trace:
        for a in result.trace.answers:
            _echo(f"  because {a.question} = {a.value}  ({a.text})")
        for f in result.trace.facts:
            _echo(f"  because {f.fact} = {f.value}  (rule {f.rule}, {f.file}:{f.line})")
        if result.trace.undetermined_by:
            _echo("  open until answered: " + ", ".join(result.trace.undetermined_by))
        _echo(f"  rule: {result.trace.file}:{result.trace.line}")


@cli.command()
@click.argument("rules_dir", required=False, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--min-coverage",
    type=click.FloatRange(0, 100),
    default=None,
    metavar="N",
    help="Fail (exit 1) when fewer than N % of the items or of the fact rules are covered.",
)
@click.option(
    "--uncovered",
    "show_all",
    is_flag=True,
    help="List every uncovered question and option too (default: items and fact rules).",
)
@_guard
def test(rules_dir: Path | None, fmt: str, min_coverage: float | None, show_all: bool) -> None:
    """Run the rule base's scenarios (its own tests) and report their coverage."""
    from .authoring.coverage import coverage, coverage_json, coverage_table, explain_wrong_items
    from .authoring.scenarios import load_scenarios, run_scenarios

    rb = _load(rules_dir)
    scenarios = [s.model_copy(update={"file": _openable(s.file, rb.root)}) for s in load_scenarios(rb)]
    results = run_scenarios(rb, scenarios)
    failed = [r for r in results if not r.passed]
    traces = {id(r): explain_wrong_items(rb, r) for r in failed}
    cov = coverage(rb, results)
    low = [
        f"{kind.replace('_', ' ')} {cov[kind].percent:.1f} %"
        for kind in ("items", "fact_rules")
        if min_coverage is not None and cov[kind].percent < min_coverage
    ]
    if fmt == "json":
        _echo(
            json.dumps(
                {
                    "passed": len(results) - len(failed),
                    "failed": len(failed),
                    "results": [
                        {
                            "name": r.scenario.name,
                            "file": r.scenario.file,
                            "line": r.scenario.line,
                            "passed": r.passed,
                            "failures": r.failures,
                            "asked": r.asked,
                            "items": r.items,
                            "wrong_items": traces.get(id(r), {}),
                        }
                        for r in results
                    ],
                    "coverage": coverage_json(cov),
                    "min_coverage": min_coverage,
                    "below_min_coverage": low,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        for r in results:
            _echo(f"{'PASS' if r.passed else 'FAIL'} {r.scenario.file}:{r.scenario.line} {r.scenario.name}")
            for failure in r.failures:
                _echo(f"     - {failure}")
            for why in traces.get(id(r), {}).values():
                _echo("\n".join("         " + ("" if i == 0 else "  ") + line for i, line in enumerate(why["trace"])))
        shown = None if show_all else ("items", "fact_rules")
        _echo(coverage_table(cov, shown), nl=False)
        if low:
            _echo(f"coverage below {min_coverage:g} %: " + ", ".join(low))
        _echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(EXIT_FINDINGS if failed or low else EXIT_OK)


@cli.command()
@click.argument("rules_dir", required=False, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--warnings-as-errors", is_flag=True, help="Exit 1 on warnings too (notes never fail).")
@click.option(
    "--disable",
    multiple=True,
    metavar="CODE[,CODE]",
    help="Do not report these warning codes (PW3xx; repeatable). Errors cannot be disabled.",
)
@click.option(
    "--today",
    callback=_date,
    default=None,
    metavar="DATE",
    help="Judge review_by dates as of DATE (YYYY-MM-DD; default: today).",
)
def lint(
    rules_dir: Path | None, fmt: str, warnings_as_errors: bool, disable: tuple[str, ...], today: dt.date | None
) -> None:
    """Check a rule base: load and compile errors, then warnings (docs/authoring.md lists the codes).

    Prints file:line:col: CODE: message, one per line (--format json for editors and CI), files
    named from the current directory. Exit 0 when clean, 1 on errors (or warnings with
    --warnings-as-errors), 2 on bad options or a rule base that cannot be found or read.
    """
    from .authoring.lint import format_issue, lint as run_lint, parse_disable, summary, to_json

    try:
        codes = parse_disable(disable)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--disable") from None
    try:
        result = run_lint(rules_dir, today=today, disable=codes)
    except EngineError as exc:
        _err(f"internal error in the inference engine (please report it): {exc}")
        sys.exit(EXIT_INTERNAL)
    except Exception as exc:  # pragma: no cover - a bug; never a traceback
        _err(f"internal error (please report it): {type(exc).__name__}: {exc}")
        sys.exit(EXIT_INTERNAL)
    root = _root(rules_dir)
    result.issues = [_located(issue, root) for issue in result.issues]
    failed = result.errors > 0 or (warnings_as_errors and result.count("warning") > 0)
    if fmt == "json":
        _echo(json.dumps(to_json(result), indent=2, ensure_ascii=False))
    else:
        for issue in result.issues:
            _echo(format_issue(issue))
        _echo(summary(result), err=failed)
    # no rule base to check at all (the directory or its manifest missing or unreadable) is bad input
    unreadable = any(issue.code == "PW103" for issue in result.issues)
    sys.exit(EXIT_BAD_INPUT if unreadable else EXIT_FINDINGS if failed else EXIT_OK)


@cli.command()
@click.argument("old_dir", type=click.Path(path_type=Path))
@click.argument("new_dir", type=click.Path(path_type=Path))
@click.option(
    "--cases",
    "cases_dir",
    type=click.Path(path_type=Path),
    default=None,
    metavar="DIR",
    help="Saved cases (answers files, *.yaml/*.yml/*.json, searched recursively) to compare too.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@as_of_option
@click.option("--no-scenarios", is_flag=True, help="Compare the saved cases only, not the scenarios.")
@_guard
def diff(
    old_dir: Path, new_dir: Path, cases_dir: Path | None, fmt: str, as_of: dt.date | None, no_scenarios: bool
) -> None:
    """What changed from the rule base OLD_DIR to NEW_DIR, and how each checklist changes.

    Items, questions, fact rules, routes and sources added, removed or changed; then, for every
    scenario of both rule bases and every saved case in --cases, the items gained and lost (with
    the reason) and the items that changed. Exit 0 when nothing changed, 1 when something did.
    """
    from .authoring.diff import diff_rule_bases, format_diff

    old, new = _load(old_dir), _load(new_dir)
    result = diff_rule_bases(old, new, cases_dir, as_of, scenarios=not no_scenarios)
    if fmt == "json":
        _echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        _echo(format_diff(result), nl=False)
    sys.exit(EXIT_FINDINGS if result.changed else EXIT_OK)


@cli.command()
@click.argument("what", type=click.Choice(["answers", "rules", "outcome"]))
@rules_option
@_guard
def schema(what: str, rules_dir: Path | None) -> None:
    """JSON Schema of answers files (for the loaded rule base), rule files or the JSON outcome."""
    from ._schemas import answers_schema, outcome_schema
    from .authoring.schemas import rules_schema

    if what == "answers":
        document = answers_schema(_load(rules_dir))
    elif what == "rules":
        document = rules_schema()
    else:
        document = outcome_schema()
    _echo(json.dumps(document, indent=2, ensure_ascii=False))


@cli.command()
@rules_option
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default=None,
    help="Language of the wizard (default: the one chosen last time).",
)
@click.option(
    "--as-of",
    "as_of",
    callback=_date,
    default=None,
    metavar="DATE",
    help="Evaluate the rules as they stood on DATE (YYYY-MM-DD; default: today).",
)
@click.option(
    "--server",
    metavar="URL",
    default=None,
    help="Use the rule base of a pathways server (pathways serve): the questions and the checklist "
    "come from it, the answers stay on this computer; the bearer token, if needed, comes from "
    "$PATHWAYS_TOKEN.",
)
@click.option(
    "--web",
    is_flag=True,
    help="Serve the wizard to a web browser instead of running it here: open the URL it prints; "
    "each browser tab is its own case.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    metavar="PORT",
    help=f"With --web: the port to listen on (default {WEB_PORT}; 0 picks a free one).",
)
@click.option(
    "--host",
    default=None,
    metavar="ADDRESS",
    help="With --web: the address to listen on (default 127.0.0.1, this computer only); an address "
    "other computers can reach needs --public too.",
)
@click.option(
    "--public",
    is_flag=True,
    help="With --web: allow a --host that other computers can reach. The wizard has no login: "
    "whoever reaches it can read and change every case saved on this computer.",
)
def wizard(
    rules_dir: Path | None,
    lang: str | None,
    as_of: dt.date | None,
    server: str | None,
    web: bool,
    port: int | None,
    host: str | None,
    public: bool,
) -> None:
    """Answer the questions one at a time in the terminal (or, with --web, in a browser), then see,
    tick off and export the checklist."""
    import os

    if server and rules_dir:
        _err("error: --server and --rules exclude each other: the server evaluates with its own rule base")
        sys.exit(EXIT_BAD_INPUT)
    if not web and (port is not None or host is not None or public):
        _err("error: --port, --host and --public only go with --web")
        sys.exit(EXIT_BAD_INPUT)
    _not_a_rule_base(rules_dir)  # before the terminal UI or the web server starts, like a bad --server below
    if web:
        host = host or "127.0.0.1"
        _check_web_host(host, public)
    if server:
        from .client import ClientError, check_base_url

        try:  # before the terminal UI starts: a typo is a one-line error, not a screen
            check_base_url(server)
        except ClientError as exc:
            _err(f"error: --server: {exc}")
            sys.exit(EXIT_BAD_INPUT)
    if web and not server:
        _guard(_load)(rules_dir)  # a broken rule base is reported here, once, not in every browser tab
    if web:
        assert host is not None
        serve_web = _wizard_launcher("serve_web")
        sys.exit(
            serve_web(
                host=host,
                port=WEB_PORT if port is None else port,
                public=public,
                rules_dir=rules_dir,
                lang=lang,
                as_of=as_of,
                server=server,
            )
        )
    run = _wizard_launcher("run")
    sys.exit(
        run(rules_dir=rules_dir, lang=lang, as_of=as_of, server=server, token=os.environ.get("PATHWAYS_TOKEN") or None)
    )


WIZARD_ENTRY_POINTS = "pathways.wizard"


def _wizard_launcher(name: str) -> Callable[..., int]:
    """The wizard's ``run`` or ``serve_web``, found through the entry points the wizard registers
    (group ``pathways.wizard`` in pyproject.toml): the core never imports the wizard's package."""
    from importlib.metadata import entry_points

    found = [ep for ep in entry_points(group=WIZARD_ENTRY_POINTS) if ep.name == name]
    try:
        if not found:
            raise ImportError(f"no entry point {name!r} in group {WIZARD_ENTRY_POINTS!r}")
        launcher: Callable[..., int] = found[0].load()
    except ImportError as exc:  # pragma: no cover - a broken or outdated installation
        _err(f"error: the wizard is not available ({exc}); reinstall pathways (pip install -e . in a checkout)")
        sys.exit(EXIT_INTERNAL)
    return launcher


def _check_web_host(host: str, public: bool) -> None:
    """``wizard --web`` listens on this computer only, unless asked in so many words."""
    from .server.settings import is_loopback

    if is_loopback(host):
        return
    if not public:
        _err(
            f"error: --host {host}: the web wizard has no login, so it listens on this computer only "
            "(127.0.0.1). To let other computers reach it anyway, add --public; whoever reaches it can "
            "then read and change every case saved here."
        )
        sys.exit(EXIT_BAD_INPUT)
    _err(
        f"warning: serving the wizard on {host} with no authentication: anyone who can reach this address "
        "can read and change every case saved on this computer"
    )


# ---- the HTTP API: pathways serve, and checklists from a server ----------------------------


def _remote_checklist(server: str, answers: str, lang: str, as_of: dt.date | None) -> tuple[Outcome, AnswerSet]:
    """``checklist --server URL``: evaluate on a pathways server; render here, as a local run would."""
    from .client import PathwaysClient

    answer_set = read_answers_file(answers, _stdin() if answers == "-" else None)
    with PathwaysClient(server, token=os.environ.get("PATHWAYS_TOKEN") or None) as client:
        outcome = client.checklist(answer_set.answers, as_of=as_of or answer_set.as_of, lang=lang)
    wanted, used = answer_set.rulebase, outcome.rulebase
    if wanted and (wanted.get("id") not in (None, used.id) or wanted.get("version") not in (None, used.version)):
        _err(
            f"warning: the answers were written for rule base {wanted.get('id')} {wanted.get('version')}; "
            f"the server evaluated with {used.id} {used.version}"
        )
    return outcome, answer_set


@cli.command()
@rules_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; beyond loopback, bearer tokens are required.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes, each with its own compiled rule base (throughput scales with cores).",
)
@click.option(
    "--token-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Bearer tokens, one per line (also $PATHWAYS_SERVER_TOKENS). Re-read on reload.",
)
@click.option(
    "--admin-token-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Tokens for POST /v1/admin/reload (also $PATHWAYS_ADMIN_TOKENS); without any, it is off.",
)
@click.option(
    "--allow-anonymous",
    is_flag=True,
    help="Listen beyond loopback without tokens (only behind a proxy that authenticates).",
)
@click.option(
    "--max-body",
    type=click.IntRange(256, 16 * 1024 * 1024),
    default=64 * 1024,
    show_default=True,
    help="Largest request body in bytes.",
)
@click.option(
    "--max-header-bytes",
    type=click.IntRange(1024, 1024 * 1024),
    default=32 * 1024,
    show_default=True,
    help="Largest request head (request line and headers) in bytes; beyond it: 431.",
)
@click.option(
    "--max-connections",
    type=click.IntRange(1, 100_000),
    default=1000,
    show_default=True,
    help="Open connections per worker; beyond it a new one gets 503 and is closed.",
)
@click.option(
    "--response-cache-mb",
    type=click.IntRange(0, 4096),
    default=32,
    show_default=True,
    help="MiB of remembered responses per worker (the same request gets the same bytes); 0: off.",
)
@click.option(
    "--timeout-headers",
    type=click.FloatRange(0.1, 3600),
    default=10.0,
    show_default=True,
    help="Seconds a connection has to send a complete request head (idle new connections too).",
)
@click.option(
    "--timeout-body",
    type=click.FloatRange(0.1, 3600),
    default=30.0,
    show_default=True,
    help="Seconds a request has to send its body after its head.",
)
@click.option(
    "--timeout-keep-alive",
    type=click.IntRange(1, 3600),
    default=5,
    show_default=True,
    help="Seconds an idle kept-alive connection stays open between requests.",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    metavar="ORIGIN",
    help="Allow browser calls from ORIGIN (repeatable); CORS is off by default.",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
)
def serve(
    rules_dir: Path | None,
    host: str,
    port: int,
    workers: int,
    token_file: Path | None,
    admin_token_file: Path | None,
    allow_anonymous: bool,
    max_body: int,
    max_header_bytes: int,
    max_connections: int,
    response_cache_mb: int,
    timeout_headers: float,
    timeout_body: float,
    timeout_keep_alive: int,
    cors_origins: tuple[str, ...],
    log_level: str,
) -> None:
    """Serve the HTTP API (FastAPI on uvicorn): /v1/checklist, /v1/next, /v1/explain, /docs.

    SIGHUP (or POST /v1/admin/reload) reloads the rule base in place: it is compiled in a
    subprocess first, and a broken one is refused while the old one keeps serving.
    """
    from .server.run import main_errors
    from .server.settings import Settings

    settings = Settings(
        rules_dir=rules_dir,
        host=host,
        port=port,
        workers=workers,
        token_file=token_file,
        admin_token_file=admin_token_file,
        allow_anonymous=allow_anonymous,
        max_body_bytes=max_body,
        max_header_bytes=max_header_bytes,
        max_connections=max_connections,
        response_cache_mb=response_cache_mb,
        timeout_headers=timeout_headers,
        timeout_body=timeout_body,
        timeout_keep_alive=timeout_keep_alive,
        cors_origins=list(cors_origins),
        log_level=log_level,
    )
    sys.exit(main_errors(settings))


def main(args: list[str] | None = None) -> None:
    """The ``pathways`` command with ``args`` (default: the command line's)."""
    cli(args, prog_name="pathways")


if __name__ == "__main__":  # pragma: no cover
    main()
