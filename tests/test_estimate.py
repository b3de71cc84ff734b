"""A quick estimate before a long exhaustive run, and a warning when it will not fit."""

from __future__ import annotations

import pytest

from kafkacheck.cli import main
from kafkacheck.estimate import probe, warning
from kafkacheck.testing import make_model

SAFE = {"acks": "all", "replication.factor": "3", "min.insync.replicas": "2"}


def test_a_probe_that_finishes_gives_the_exact_count():
    est = probe(make_model("twophase"), seconds=10)
    assert est.complete and est.seen == est.projected == 288
    assert warning(est, budget=0.001) is None


@pytest.mark.parametrize("name,settings,bounds,exact", [
    ("twophase", {}, {"rms": 6}, 50_816),
    ("replication", SAFE, {}, 57_909),
    ("producer", SAFE, {"batch_records": 1, "lost_responses": 1}, 58_842),
])
def test_a_partial_probe_projects_the_size_within_a_factor_of_four(name, settings, bounds,
                                                                    exact):
    est = probe(make_model(name, settings, **bounds), seconds=60, states=2_000)
    assert not est.complete and est.seen >= 2_000
    assert exact / 4 <= est.projected <= exact * 4, est.text()


def test_a_run_projected_past_its_budget_is_warned_about_on_stderr(capsys):
    code = main(["check", "replication", "--set", "acks=all", "--set", "replication.factor=3",
                 "--bound", "records=4", "--bound", "crashes=2", "--bound",
                 "crash_kind=process", "--max-seconds", "2",
                 "--property", "NoAckedWriteLost", "--no-diagram"])
    out, err = capsys.readouterr()
    assert code == 3 and "INCOMPLETE" in out
    assert "kafkacheck: estimate: roughly" in err and "exceeds --max-seconds 2" in err


def test_no_warning_for_a_run_that_fits(capsys):
    assert main(["check", "twophase"]) == 0
    assert "estimate" not in capsys.readouterr().err
