"""``_Out.built``, the checklist builder's fast constructor, makes what ``model_construct`` makes.

It relies on how pydantic fills an instance (``__dict__``, ``__pydantic_fields_set__``, ...), so
this is what tells a pydantic upgrade that changes that apart from a silent difference."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

import pathways
from pathways import _outcome
from pathways.authoring.scenarios import DEFAULT_AS_OF, load_scenarios


def _models(value: Any) -> Iterator[BaseModel]:
    if isinstance(value, BaseModel):
        yield value
        for field in type(value).model_fields:
            yield from _models(getattr(value, field))
    elif isinstance(value, (list, tuple)):
        for part in value:
            yield from _models(part)


def _same(a: BaseModel, b: BaseModel) -> None:
    assert type(a) is type(b)
    assert a.__dict__ == b.__dict__
    assert list(a.__dict__) == list(b.__dict__)  # field order too
    assert a.model_fields_set == b.model_fields_set
    assert a.__pydantic_extra__ == b.__pydantic_extra__
    assert a.__pydantic_private__ == b.__pydantic_private__
    assert a.model_dump_json() == b.model_dump_json()
    assert a == b


@pytest.fixture(scope="module")
def instances(shipped: pathways.RuleBase) -> list[BaseModel]:
    """Every model inside real outcomes and next questions: several routes, "don't know", both languages."""
    found: list[BaseModel] = []
    for scenario in load_scenarios(shipped)[::12]:
        for lang in ("en", "zh"):
            as_of = scenario.as_of or DEFAULT_AS_OF
            found += _models(pathways.evaluate(shipped, scenario.answers, as_of, lang))
            found += _models(pathways.next_question(shipped, scenario.answers, lang, as_of))
    return found


def test_built_equals_model_construct_on_every_model_of_real_outcomes(instances: list[BaseModel]) -> None:
    seen = set()
    for model in instances:
        cls = type(model)
        assert issubclass(cls, _outcome._Out)
        seen.add(cls)
        values = dict(model.__dict__)
        _same(cls.built(**values), cls.model_construct(**values))
    # the models the checklist builder makes with it are all among them
    assert {
        _outcome.Trace,
        _outcome.TraceFact,
        _outcome.AnswerUsed,
        _outcome.OpenQuestion,
        _outcome.ItemResult,
        _outcome.TimeLimitOut,
        _outcome.AuthorityRef,
        _outcome.TimelineStep,
    } <= seen


def test_missing_fields_take_their_defaults_as_with_model_construct(instances: list[BaseModel]) -> None:
    checked = 0
    for model in instances:
        cls = type(model)
        defaulted = [name for name, field in cls.model_fields.items() if not field.is_required()]
        if not defaulted:
            continue
        values = {k: v for k, v in model.__dict__.items() if k not in defaulted}
        _same(cls.built(**values), cls.model_construct(**values))
        checked += 1
    assert checked


def test_an_unknown_or_missing_field_is_an_error_not_dropped() -> None:
    with pytest.raises(TypeError, match="unknown field.*'nmae'"):
        _outcome.AuthorityRef.built(id="nmpa", name="NMPA", nmae="typo")
    with pytest.raises(TypeError, match="no value for 'name'"):
        _outcome.AuthorityRef.built(id="nmpa")
    ref = _outcome.AuthorityRef.built(id="nmpa", name="NMPA")
    assert ref == _outcome.AuthorityRef(id="nmpa", name="NMPA")
    with pytest.raises(Exception, match="frozen"):
        ref.name = "other"  # type: ignore[misc]
