"""A projection host behind the log says so: once when its catch-up starts, then at most
every PROGRESS_SECONDS while it goes on, and once when it has caught up, with where it
began and how long it took."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest

from projections import runner
from projections.runner import CatchingUp


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def runs_at(*positions: int) -> list[Any]:
    return [SimpleNamespace(scanned=p) for p in positions]


def test_a_catch_up_is_logged_at_its_start_every_few_seconds_and_at_its_end(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = SimpleNamespace(recorder=SimpleNamespace(max_notification_id=lambda: 9000))
    clock = Clock()
    catching_up = CatchingUp(app)  # type: ignore[arg-type]
    with (
        mock.patch.object(runner.time, "monotonic", clock),
        caplog.at_level(logging.INFO, logger="projections.runner"),
    ):
        catching_up.after(runs_at(500, 2000), True, 0)  # the first full selection
        clock.now += 5.0
        catching_up.after(runs_at(2500, 4000), True, 500)  # too soon to say again
        clock.now += CatchingUp.PROGRESS_SECONDS
        catching_up.after(runs_at(4500, 6000), True, 2500)
        clock.now += 1.5
        catching_up.after(runs_at(9000, 9000), False, 4500)  # short: caught up
        catching_up.after(runs_at(9000, 9000), False, 9000)  # nothing more to say
    logged = [(r.getMessage(), r.__dict__) for r in caplog.records]
    assert [m for m, _ in logged] == [
        "projections catching up",
        "projections catching up",
        "projections caught up",
    ]
    assert [(f["position"], f["head"], f["projections"]) for _, f in logged[:2]] == [
        (500, 9000, 2),
        (4500, 9000, 2),
    ]
    done = logged[2][1]
    assert (done["from_position"], done["position"], done["seconds"]) == (0, 9000, 16.5)


def test_a_host_that_was_never_behind_logs_no_catch_up(caplog: pytest.LogCaptureFixture) -> None:
    catching_up = CatchingUp(SimpleNamespace())  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO, logger="projections.runner"):
        catching_up.after(runs_at(10), False, 0)
        catching_up.after([], False, 10)
    assert caplog.records == []


def test_a_burst_that_one_more_selection_takes_in_is_no_catch_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A full selection with no more than a catch-up selection left behind it (a burst of
    commands, not downtime) logs nothing, nor does its end."""
    head = 500 + runner.CATCH_UP_BATCH
    app = SimpleNamespace(recorder=SimpleNamespace(max_notification_id=lambda: head))
    catching_up = CatchingUp(app)  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO, logger="projections.runner"):
        catching_up.after(runs_at(500), True, 0)
        catching_up.after(runs_at(head), False, 500)
    assert caplog.records == []
