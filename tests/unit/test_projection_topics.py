"""What each read model subscribes to is derived from its handlers (issue 20 item 4), and
every event type of the domain is a decision of every read model: handled, or ignored on
purpose (`ReadModel.ignores`). A new event type, or a handler removed, fails here until
someone decides; and every event type has a Chinese name for the timelines."""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path
from typing import Any

import pytest
from eventsourcing import domain as library
from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic, resolve_topic

import domain
from domain.aggregate import Aggregate
from domain.aggregates import AGGREGATES
from domain.findings import Finding
from domain.units import Unit
from domain.vocabulary import event_label
from projections.base import ReadModel, ReadModelView, handles, other_aggregates
from projections.registry import PROJECTIONS, ProjectionSpec

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def domain_event_classes() -> dict[str, type]:
    """Every event class the domain can store, by topic: each concrete aggregate's creation
    event(s) and the event class of every `@event` method (the library keeps both in module
    registries, as tests/integration/test_golden_log.py reads them), and every type the
    golden log holds (a type the code no longer makes still arrives from the log)."""
    for module in pkgutil.iter_modules(domain.__path__):
        importlib.import_module(f"domain.{module.name}")
    classes: list[type] = [c for c in library.decorated_funcs if c.__module__.startswith("domain.")]
    classes += [
        event_class
        for aggregate, created in library._created_event_classes.items()
        if aggregate.__module__.startswith("domain.") and not aggregate.__subclasses__()
        for event_class in created
    ]
    found = {get_topic(c): c for c in classes}
    for path in sorted(GOLDEN.glob("log-v*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            topic = json.loads(line).get("topic")
            if topic is not None and topic not in found:
                found[topic] = resolve_topic(topic)
    return found


EVENTS = domain_event_classes()


def test_the_domain_has_event_types_to_decide_on() -> None:
    # A broken enumeration (an empty registry) would make every test below pass vacuously.
    assert len(EVENTS) >= 40, sorted(EVENTS)
    assert get_topic(Finding.Raised) in EVENTS and get_topic(Unit.Absorbed) in EVENTS


@pytest.mark.parametrize("spec", PROJECTIONS, ids=lambda s: s.name)
def test_every_read_model_handles_or_ignores_every_event_type(spec: ProjectionSpec) -> None:
    read_model = spec.projection_class
    assert issubclass(read_model, ReadModel), f"{spec.name} derives its topics from handlers"
    handled = {get_topic(e) for e in read_model.handlers}
    ignored = {get_topic(e) for e in read_model.ignores}
    undecided = sorted(set(EVENTS) - handled - ignored)
    assert not undecided, (
        f"{spec.name} neither handles nor ignores {undecided}: add a @handles method, or "
        f"the event class to {read_model.__qualname__}.ignores"
    )
    assert not handled & ignored, f"{spec.name} both handles and ignores {handled & ignored}"
    unknown = sorted((handled | ignored) - set(EVENTS))
    assert not unknown, f"{spec.name} names event types the domain does not have: {unknown}"


@pytest.mark.parametrize("spec", PROJECTIONS, ids=lambda s: s.name)
def test_a_read_model_subscribes_to_exactly_what_it_handles(spec: ProjectionSpec) -> None:
    read_model = spec.projection_class
    assert isinstance(read_model, type) and issubclass(read_model, ReadModel)
    derived = {get_topic(e) for e in read_model.handlers}
    assert set(read_model.topics) == derived
    assert set(spec.view_class.topics) == derived, "the runner and position() read the view's"
    for event, method in read_model.handlers.items():
        assert callable(getattr(read_model, method)), (spec.name, event, method)


@pytest.mark.parametrize("topic", sorted(EVENTS))
def test_every_event_type_has_a_chinese_label(topic: str) -> None:
    qualname = EVENTS[topic].__qualname__
    label = event_label(qualname)
    assert label != qualname.rpartition(".")[2], f"no label for {qualname} in EventType"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in label), (qualname, label)


class Recorded(ReadModelView):
    """A view that records what it is asked to do instead of writing it (no database)."""

    projection_name = "topics_test"

    def __init__(self) -> None:  # no datastore: nothing here touches one
        self.seen: list[tuple[str, Any, int]] = []

    def apply(self, tracking: Tracking, *args: Any, **kwargs: Any) -> None:
        self.seen.append(("tracked only", None, tracking.notification_id))


class Raising(ReadModel[Recorded]):
    name = "topics_test"
    ignores = (Unit.Registered,)

    @handles(Finding.Raised, Finding.Amended)
    def finding(self, e: Any, tracking: Tracking) -> None:
        self.view.seen.append(("finding", type(e), tracking.notification_id))


def test_topics_come_from_the_handlers_and_reach_the_view() -> None:
    expected = {get_topic(Finding.Raised), get_topic(Finding.Amended)}
    assert set(Raising.topics) == expected
    assert set(Recorded.topics) == expected
    assert Raising.handlers == {Finding.Raised: "finding", Finding.Amended: "finding"}


def test_events_go_to_their_handler_and_others_only_advance_the_tracking() -> None:
    view = Recorded()
    model = Raising(view=view)
    raised = Finding.Raised.__new__(Finding.Raised)  # its fields do not matter here
    model.process_event(raised, Tracking("Supervision", 1))
    model.process_event(object(), Tracking("Supervision", 2))
    assert view.seen == [("finding", Finding.Raised, 1), ("tracked only", None, 2)]


def test_a_subclass_inherits_the_handlers_and_may_add_its_own() -> None:
    class MoreRaising(Raising):
        @handles(Finding.Withdrawn)
        def withdrawn(self, e: Any, tracking: Tracking) -> None:
            self.view.seen.append(("withdrawn", type(e), tracking.notification_id))

    assert set(MoreRaising.handlers) == {Finding.Raised, Finding.Amended, Finding.Withdrawn}
    assert set(Raising.handlers) == {Finding.Raised, Finding.Amended}, "the parent unchanged"


def test_handling_and_ignoring_the_same_event_is_refused_when_the_class_is_made() -> None:
    with pytest.raises(TypeError, match="both handles and ignores"):

        class Undecided(Raising):
            ignores = (Finding.Raised,)


def test_handles_names_at_least_one_event() -> None:
    with pytest.raises(TypeError):
        handles()


def test_a_whole_aggregate_is_ignored_only_where_none_of_its_events_is_handled() -> None:
    assert set(ignored_of(Unit)) == set(Unit.event_classes())
    assert {Unit.Registered, Unit.Absorbed, Unit.Dissolved} <= set(Unit.event_classes())
    with pytest.raises(TypeError, match="one by one, not the whole aggregate"):

        class HalfIgnoring(Raising):
            ignores = (Finding,)


def ignored_of(aggregate: type) -> tuple[type, ...]:
    class IgnoringAll(Raising):
        ignores = (aggregate,)

    return IgnoringAll.ignores


def test_the_list_of_aggregates_holds_every_aggregate_of_the_domain() -> None:
    # `other_aggregates` ignores what this list names: an aggregate missing from it would
    # be neither ignored nor handled by the read models that follow others, and fail above.
    concrete = {
        aggregate
        for aggregate in library._created_event_classes
        if aggregate.__module__.startswith("domain.") and aggregate is not Aggregate
    }
    assert len(concrete) >= len(AGGREGATES), "the library's registry of aggregates"
    for aggregate in concrete:
        assert any(issubclass(aggregate, listed) for listed in AGGREGATES), aggregate
    assert len(set(AGGREGATES)) == len(AGGREGATES)


def test_a_read_model_about_some_aggregates_ignores_exactly_the_others() -> None:
    assert set(other_aggregates(Finding)) == set(AGGREGATES) - {Finding}
    assert Unit not in other_aggregates(Unit, Finding)
    with pytest.raises(TypeError, match="not aggregates of the domain"):
        other_aggregates(Raising)  # type: ignore[arg-type]
