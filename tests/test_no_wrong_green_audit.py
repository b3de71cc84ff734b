"""Audit 6: ways to get HOLDS / exit 0 for something kafkacheck did not check.

Each test names the guarantee: a run whose configuration, checkpoint or output channel
was not what the verdict claims must never exit 0.  The four wrong greens found are
fixed; their tests keep them fixed.  Each run is a few hundredths of a second to a
second.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from kafkacheck.cli import EXIT_HOLDS, EXIT_INCOMPLETE, EXIT_USAGE, EXIT_VIOLATED, main

EXIT_NOT_COVERED = EXIT_INCOMPLETE  # exit 3: no verdict for the run as a whole

FAST = ["--no-diagram", "--no-estimate", "--progress-every", "0"]


def test_compaction_set_on_the_topic_is_not_covered(capsys):
    assert main(["check", "replication", *FAST, "--property", "LeaderInIsr",
                 "--set", "cleanup.policy=compact"]) == 3
    capsys.readouterr()


@pytest.mark.parametrize("setting", ["log.cleanup.policy=compact",
                                     "remote.storage.enable=true"])
def test_log_semantics_review_calls_not_covered_are_not_covered_in_check(setting, capsys):
    # `review` names both as NOT COVERED (review.UNCOVERED); `check` accepts them as "not
    # modelled (no effect on these verdicts)" and prints HOLDS.  log.cleanup.policy is the
    # broker default of cleanup.policy (compact is NOT COVERED when set on the topic).
    code = main(["check", "replication", *FAST, "--property", "LeaderInIsr",
                 "--set", setting])
    out = capsys.readouterr().out
    assert code == EXIT_NOT_COVERED, out
    assert "NOT COVERED" in out and setting.split("=")[0] in out


def test_rolling_restarts_without_controlled_shutdown_are_not_checked_as_controlled(capsys):
    # The rolling_restarts bound explores controlled shutdowns (leadership moves away
    # first).  controlled.shutdown.enable=false makes BrokerServer.shutdown skip them
    # (core/src/main/scala/kafka/server/BrokerServer.scala), so a leader's shutdown
    # leaves its partitions leaderless until the controller fences it: WritesAccepted
    # (availability through the restarts) is not what was explored.
    code = main(["check", "rolling-restart-safe", *FAST, "--bound", "rolling_restarts=1",
                 "--bound", "records=1", "--property", "WritesAccepted",
                 "--set", "controlled.shutdown.enable=false"])
    out = capsys.readouterr().out
    assert code == EXIT_NOT_COVERED, out
    assert "controlled.shutdown.enable=false" in out


def test_without_rolling_restarts_controlled_shutdown_changes_nothing_explored(capsys):
    # Crashes are uncontrolled whatever the flag says: the verdict stands.
    code = main(["check", "replication", *FAST, "--property", "LeaderInIsr",
                 "--set", "controlled.shutdown.enable=false"])
    out = capsys.readouterr().out
    assert code == EXIT_HOLDS, out
    assert "accepted but not modelled: controlled.shutdown.enable" in out


def test_a_checkpoint_is_not_resumed_under_another_kafka_version(tmp_path: Path, capsys):
    # The same effective settings, bounds and properties, but Kafka 4.4 rules for the
    # saved part and 0.10 rules (high-watermark truncation) for the rest: the mixed run
    # must be refused like any other checkpoint of another run, not reported as HOLDS
    # for Kafka 0.10.
    same = ["--set", "acks=all", "--set", "unclean.leader.election.enable=false",
            "--set", "eligible.leader.replicas.version=0", "--property", "LeaderInIsr"]
    saved = main(["check", "replication", *FAST, *same, "--max-depth", "2",
                  "--checkpoint", str(tmp_path)])
    assert saved == 3
    resumed = main(["check", "replication", *FAST, *same, "--kafka-version", "0.10",
                    "--resume", str(tmp_path)])
    out = capsys.readouterr().out
    assert resumed == EXIT_USAGE, out


class _ClosedPipe(io.StringIO):
    """stdout of `kafkacheck ... | head -c 1` once head has exited."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_violation_printed_into_a_closed_pipe_does_not_exit_zero(monkeypatch):
    # `set -o pipefail; kafkacheck check acks1-loss --json | head -c 1` exits 0 today:
    # the BrokenPipeError raised while printing the violation is turned into EXIT_HOLDS.
    monkeypatch.setattr("sys.stdout", _ClosedPipe())
    assert main(["check", "acks1-loss", *FAST, "--json"]) == EXIT_VIOLATED


def test_a_listing_into_a_closed_pipe_is_no_verdict_and_exits_zero(monkeypatch):
    monkeypatch.setattr("sys.stdout", _ClosedPipe())
    assert main(["list"]) == EXIT_HOLDS


@pytest.mark.parametrize("argv", [
    ["check", "acks-all-safe", "--max-states", "100"],
    ["check", "acks-all-safe", "--max-depth", "3", "--strategy", "dfs"],
    ["check", "acks-all-safe", "--strategy", "dfs", "--property", "ProduceRequestsComplete"],
])
def test_cut_off_or_unchecked_runs_stay_non_green(argv, capsys):
    # Controls that already behave (kept so a fix of the above cannot regress them).
    assert main([*argv, *FAST]) == 3
    capsys.readouterr()


def test_report_max_seconds_cuts_each_run_and_a_cut_run_holds_nothing(tmp_path: Path, capsys):
    # `report --max-seconds` was accepted and ignored; now each run stops at the limit and
    # its cells never say "holds" ("unknown", or "violated" when a counterexample was
    # found before the limit: on a loaded machine a cut run may get that far).
    import json

    # A cut cell is no verdict: exit 3 (session 29; was 0).
    assert main(["report", "--out", str(tmp_path), "--only", "exactly-once",
                 "--max-seconds", "0.05"]) == 3
    capsys.readouterr()
    rows = json.loads((tmp_path / "results.json").read_text())["matrices"]["exactly-once"]
    cut = [r for r in rows if not r["complete"]]
    assert cut, "the limit cut no run"
    verdicts = {v for r in cut for v in r["verdicts"].values()}
    assert "holds" not in verdicts and "unknown" in verdicts


def test_the_api_refuses_a_float_release_that_would_name_another_one():
    from kafkacheck.config import UsageError
    from kafkacheck.testing import check

    with pytest.raises(UsageError, match="3.1"):
        check({"acks": "all"}, kafka_version=3.10, max_states=10)  # 3.10 == 3.1


def test_the_api_refuses_prop_and_properties_together():
    from kafkacheck.config import UsageError
    from kafkacheck.testing import assert_violated

    with pytest.raises(UsageError, match="not both"):
        assert_violated({"acks": "1"}, prop="NoAckedWriteLost", properties=["LeaderInIsr"])


def test_two_phase_commit_transactions_are_not_covered(capsys):
    # KIP-939: prepared transactions outlive timeouts and producer restarts, which the
    # transactions model does not explore.
    code = main(["check", "transactions", *FAST, "--set", "transactional.id=tx",
                 "--set", "transaction.two.phase.commit.enable=true",
                 "--property", "NoAbortedRead", "--max-states", "2000"])
    out = capsys.readouterr().out
    assert code == EXIT_NOT_COVERED, out
    assert "NOT COVERED: transaction.two.phase.commit.enable=true" in out
