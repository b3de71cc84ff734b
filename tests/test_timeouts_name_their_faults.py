"""A timeout given on a run that leaves out the fault it times (time is not modelled, so
its value matters only through that fault) is named in a WARNING, not passed over."""

from __future__ import annotations

from kafkacheck.explorer.render import not_modelled_lines
from kafkacheck.testing import check


def _warnings(settings: dict[str, str], model: str, bounds: dict | None = None) -> list[str]:
    run = check(settings, model=model, bounds=bounds, max_states=1)
    return [line for line in not_modelled_lines(run.model, run.uncovered_settings)
            if line.startswith("WARNING")]


def test_max_poll_interval_without_poll_timeouts_is_a_warning():
    lines = _warnings({"max.poll.interval.ms": "1000"}, "group")
    assert lines == ["WARNING: max.poll.interval.ms times a fault this run does not explore "
                     "(poll timeout (zombie consumer); poll_timeouts=0): no value of it was "
                     "checked; rerun with --bound poll_timeouts=1"]
    assert _warnings({"max.poll.interval.ms": "1000"}, "group", {"poll_timeouts": 1}) == []


def test_session_timeouts_without_pauses_are_warnings():
    assert [w.split(" times")[0] for w in _warnings({"session.timeout.ms": "6000"}, "group")] \
        == ["WARNING: session.timeout.ms"]
    assert [w.split(" times")[0] for w in _warnings(
        {"group.consumer.session.timeout.ms": "45000"}, "group-consumer")] \
        == ["WARNING: group.consumer.session.timeout.ms"]
    assert _warnings({"session.timeout.ms": "6000"}, "group", {"pauses": 1}) == []


def test_a_timeout_left_at_its_default_is_not_named():
    assert _warnings({}, "group") == []
