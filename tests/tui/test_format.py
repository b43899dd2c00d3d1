"""The wizard's words and formats: the core's where the exports have them, its own chrome otherwise."""

from __future__ import annotations

import pathways
from pathways import STAGES, STATUS_LABELS, OptionOut, QuestionOut, SourceCitation, items_by_route_and_stage
from pathways._document import build_document  # (the exports' numbering)
from pathways_tui.format import (
    cite_text,
    display_value,
    item_status_text,
    short_time_limit,
    stage_name,
    status_text,
    value_text,
)
from pathways_tui.i18n import t

from .helpers import AS_OF


def test_items_are_grouped_by_route_then_stage_as_the_exports_number_them(mini: pathways.RuleBase) -> None:
    outcome = pathways.evaluate(mini, {"kind": "device", "made_in": "abroad"}, AS_OF, "en")
    assert len({i.stage for i in outcome.items}) > 2
    # items in another order, and one of a route the outcome does not list (it comes last, by its id)
    stray = outcome.items[0].model_copy(update={"id": "stray", "route": "zz_other"})
    shuffled = outcome.model_copy(update={"items": [*reversed(outcome.items), stray]})
    groups = items_by_route_and_stage(shuffled)
    [route] = outcome.routes
    assert [(g[0], g[1]) for g in groups] == [(route.id, route.title)] * (len(groups) - 1) + [("zz_other", "zz_other")]
    stages = [g[2] for g in groups[:-1]]
    assert stages == sorted(set(stages), key=STAGES.index)  # each stage once, in STAGES order
    for _, _, stage, items in groups[:-1]:
        assert items == [i for i in reversed(outcome.items) if i.stage == stage]  # the outcome's order within
    assert groups[-1][3] == [stray]
    numbered = [item.id for *_, items in items_by_route_and_stage(outcome) for item in items]
    assert numbered == [item.id for item in build_document(outcome).items]


def test_an_unconfirmed_source_says_so_in_the_status_word() -> None:
    source = SourceCitation(id="s", title="Law", number="No. 1", article="5", unconfirmed=True)
    assert cite_text(source, "en").plain == f"Law No. 1 Art. 5  [{STATUS_LABELS['en']['to_be_verified']}]"
    assert cite_text(source, "zh").plain == f"Law No. 1 第5条（{STATUS_LABELS['zh']['to_be_verified']}）"


def test_answers_as_the_user_would_say_them() -> None:
    options = [OptionOut(value="a", label="Apple"), OptionOut(value="b", label="Pear")]
    multi = QuestionOut(id="m", text="M", type="multi", options=options, unknown_allowed=True)
    assert display_value(multi, ["a", "b"], "en") == "Apple, Pear"
    assert display_value(multi, ["a", "b"], "zh") == "Apple、Pear"
    assert display_value(multi, [], "en") == t("en", "none_selected")
    assert display_value(multi, "unknown", "zh") == t("zh", "dont_know")  # as the button that gives it says
    yes_no = QuestionOut(id="y", text="Y", type="yes_no", unknown_allowed=False)
    assert (display_value(yes_no, True, "zh"), display_value(yes_no, False, "en")) == ("是", "No")
    number = QuestionOut(id="n", text="N", type="number", unit="kg", unknown_allowed=False)
    assert display_value(number, 2.5, "en") == "2.5 kg"
    assert value_text([], "en") == t("en", "none_selected") and value_text(True, "zh") == "是"


def test_a_time_limit_in_a_few_characters(mini: pathways.RuleBase) -> None:
    outcome = pathways.evaluate(mini, {"kind": "device", "made_in": "abroad"}, AS_OF, "zh")
    limited = [i for i in outcome.items if i.time_limit is not None and i.time_limit.days is not None]
    assert limited
    for item in limited:
        tl = item.time_limit
        assert tl is not None
        assert short_time_limit(item, "en") == f"{tl.days} {'wd' if tl.unit == 'working_days' else 'days'}"
    assert all(short_time_limit(i, "en") is None for i in outcome.items if i.time_limit is None)


def test_stage_and_status_words_are_the_outcome_s(mini: pathways.RuleBase) -> None:
    """The wizard shows an outcome's stages and statuses in the outcome's words (``outcome.labels``):
    on a remote server, the server's, even where they differ from this core's."""
    for lang in ("en", "zh"):
        outcome = pathways.evaluate(mini, {"kind": "device", "made_in": "abroad"}, AS_OF, lang)
        item = outcome.items[0]
        assert stage_name(item.stage, outcome.labels) == pathways.STAGE_LABELS[lang][item.stage]
        assert item_status_text(item, outcome.labels, lang).plain == STATUS_LABELS[lang][item.status]
    theirs = outcome.labels.model_copy(
        update={
            "stages": {k: f"<{v}>" for k, v in outcome.labels.stages.items()},
            "statuses": {k: f"<{v}>" for k, v in outcome.labels.statuses.items()},
        }
    )
    assert stage_name("clinical", theirs) == "<临床>" and status_text("required", theirs).plain == "<必需>"
    option = item.model_copy(update={"kind": "option", "status": "eligible", "confirmed": False})
    assert item_status_text(option, theirs, "zh").plain == "<符合条件——可选>（<待核实>）"
    assert stage_name("a_stage_of_a_newer_server", theirs) == "a_stage_of_a_newer_server"
