"""The soak's fault draws, its replay files and its figures (no cluster needed)."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from kafkacheck.conformance.cluster import PartitionState
from kafkacheck.conformance.history import HistoryWriter
from kafkacheck.conformance.soak import KINDS, Fault, SoakConfig, draw_round, load_replay, summarize


@dataclass
class FakeCluster:
    """What draw_round asks of a cluster: ids, layout, leaders, the active controller."""

    layout: str = "split"
    broker_ids: tuple[int, ...] = (1, 2, 3)
    controller_ids: tuple[int, ...] = (101, 102, 103)

    def partition_state(self, topic: str, p: int) -> PartitionState:
        leader = 1 + p % 3
        return PartitionState(topic, p, leader, (1, 2, 3), (1, 2, 3))

    def quorum_leader(self) -> int:
        return 102


def _draws(seed: int, rounds: int = 40) -> list[list[Fault]]:
    rng = random.Random(seed)
    cluster, cfg = FakeCluster(), SoakConfig(seed=seed)
    return [draw_round(rng, cluster, "t", cfg, ["consumer-1", "consumer-2"])  # type: ignore[arg-type]
            for _ in range(rounds)]


def test_a_seed_fixes_the_faults_drawn() -> None:
    assert [[f.to_json() for f in r] for r in _draws(5)] == [
        [f.to_json() for f in r] for r in _draws(5)]
    assert _draws(5) != _draws(6)


def test_every_round_has_one_or_two_faults_on_distinct_nodes_and_kinds_all_occur() -> None:
    draws = _draws(1, rounds=200)
    assert all(1 <= len(r) <= 2 for r in draws)
    for r in draws:
        nodes = [t for f in r for t in f.targets if isinstance(t, int)]
        assert len(nodes) == len(set(nodes))
    assert {f.kind for r in draws for f in r} == set(KINDS)
    overlapping = sum(1 for r in draws if len(r) == 2)
    assert 40 <= overlapping <= 80  # overlap_probability 0.3 of 200 rounds


def test_leader_faults_target_the_current_leader() -> None:
    for r in _draws(2, rounds=100):
        for f in r:
            if f.kind == "isolate-leader":
                p = int(f.role.rsplit("/", 1)[1])
                assert f.targets == [1 + p % 3]


def test_combined_roles_never_draw_a_controller_kill() -> None:
    rng = random.Random(3)
    cluster = FakeCluster(layout="combined", controller_ids=(1, 2, 3))
    kinds = {f.kind for _ in range(200)
             for f in draw_round(rng, cluster, "t", SoakConfig(), [])}  # type: ignore[arg-type]
    assert "kill-controller" not in kinds and "kill-consumer" not in kinds


def test_a_replay_file_gives_back_the_recorded_faults_and_holds(tmp_path: Path) -> None:
    rounds = [{"round": 0, "faults": [{"kind": "kill-broker", "targets": [2], "role": ""}],
               "hold_s": 2.5},
              {"round": 1, "faults": [{"kind": "cut-follower", "targets": [1, 3],
                                       "role": "t/0"}], "hold_s": 4.0}]
    (tmp_path / "result.json").write_text(json.dumps({"rounds": rounds}))
    (tmp_path / "rounds.jsonl").write_text("\n".join(json.dumps(r) for r in rounds) + "\n")
    for path in (tmp_path / "result.json", tmp_path / "rounds.jsonl"):
        replay = load_replay(path)
        assert [([f.to_json() for f in fs], hold) for fs, hold in replay] == [
            (r["faults"], r["hold_s"]) for r in rounds]
    rounds[0]["faults"][0]["kind"] = "meteor"
    (tmp_path / "bad.json").write_text(json.dumps({"rounds": rounds}))
    with pytest.raises(ValueError, match="meteor"):
        load_replay(tmp_path / "bad.json")


@pytest.mark.parametrize("change,message", [
    # were taken, and failed (or held the cluster for ever) once the cluster ran
    ({"hold_s": -5}, "hold_s -5 is not a number of seconds in"),
    ({"hold_s": "nan"}, "hold_s 'nan' is not a number of seconds in"),
    ({"hold_s": 1e12}, "hold_s 1000000000000.0 is not a number of seconds in"),
    ({"targets": "abc"}, "targets 'abc' are not a list of node ids or consumer names"),
    ({"targets": [99, -1]}, "targets [99, -1] are not a list of node ids"),
    ({"role": 7}, "role 7 is not text")])
def test_a_replay_round_is_checked_before_any_cluster_starts(tmp_path: Path, change,
                                                             message) -> None:
    fault = {"kind": "kill-broker", "targets": [2], "role": ""}
    round_ = {"round": 0, "faults": [fault], "hold_s": 2.5}
    for key, value in change.items():
        (round_ if key == "hold_s" else fault)[key] = value
    (tmp_path / "bad.json").write_text(json.dumps({"rounds": [round_]}))
    with pytest.raises(ValueError, match=re.escape(message)):
        load_replay(tmp_path / "bad.json")


def test_the_figures_count_what_the_history_shows(tmp_path: Path) -> None:
    hist = tmp_path / "history.jsonl"
    with HistoryWriter(hist) as hw:
        for i, offset in enumerate((0, 1, 2)):
            inv = hw.invoke("producer-1", "send", [["t/0", None, f"v-{i}"]])
            hw.complete(inv, "ok", [["t/0", offset, f"v-{i}"]])
        inv = hw.invoke("producer-1", "send", [["t/0", None, "v-3"]])
        hw.complete(inv, "info", [["t/0", None, "v-3"]], error="timed out")
        inv = hw.invoke("final-reader", "poll", None, complete=True)
        hw.complete(inv, "ok", {"t/0": [[0, "v-0"], [1, "v-2"]]}, ends={"t/0": 2})
    run = {
        "soak": SoakConfig(rounds=1).to_json(),
        "config": {"acks": "all", "idempotence": True, "replication_factor": 3},
        "faults": ["client-cut"],
        "rounds": [{"round": 0, "faults": [{"kind": "cut-clients", "targets": [1]}],
                    "recovered": True}],
        "history_path": str(hist),
    }
    result = summarize(run)
    f = result["figures"]
    assert (f["acknowledged"], f["indefinite"], f["read"], f["lost"]) == (3, 1, 2, 1)
    assert result["fault_counts"] == {"cut-clients": 1}
    # a client cut cannot lose an acknowledged record: the model forbids it
    assert result["judgement"]["verdict"] == "FAIL"
