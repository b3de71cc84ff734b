"""Where a prediction is not the recorded run, and the report says so: a run of many rounds
predicted with the faults of one round, soak rounds whose two faults no model run has at
once, and the leader moves of the kill rounds, now recorded and predicted (no cluster)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kafkacheck.conformance import conform, page
from kafkacheck.conformance import scenarios as sc
from kafkacheck.conformance.catalog import SCENARIOS
from kafkacheck.conformance.history import HistoryWriter, read_events, tp_key
from kafkacheck.conformance.page import conformance_markdown, scenario_gaps, soak_gaps
from kafkacheck.conformance.predict import RunConfig, plan, together
from kafkacheck.conformance.soak import overlap_fault, split_rounds

REPORTS = Path(__file__).resolve().parents[2] / "reports"


def test_the_kill_rounds_are_predicted_with_a_leader_move_in_the_replication_and_producer_runs(
) -> None:
    # Audit: each round's preferred-leader election was neither recorded nor predicted
    # (leader_changes=0); `check replication ... --bound leader_changes=1` holds
    assert SCENARIOS["acks-all-kill-rounds"].faults == ("broker-kill", "leader-move")
    config = RunConfig(acks="all", min_insync_replicas=2, idempotence=True, partitions=3,
                       layout="split", elr=1)
    bounds = {r.model: dict(r.bounds) for r in plan(config, sc.KILL_ROUNDS_FAULTS)}
    assert sorted(bounds) == ["producer", "replication"]
    assert (bounds["replication"]["crashes"], bounds["replication"]["leader_changes"]) == (1, 1)
    assert (bounds["producer"]["crashes"], bounds["producer"]["leader_changes"]) == (1, 1)


class _Cluster:
    """What acks_all_kill_rounds asks of a cluster; every partition led by broker 1."""

    feature_levels = {"eligible.leader.replicas.version": 1}
    layout = "split"
    broker_ids = (1, 2, 3)

    def __init__(self) -> None:
        self.elections = 0

    def heal(self) -> None:
        pass

    def create_topic(self, *args: Any) -> None:
        pass

    def partition_state(self, topic: str, p: int) -> Any:
        return SimpleNamespace(leader=1, isr=(1, 2, 3), replicas=(1, 2, 3))

    def wait_partition(self, topic: str, p: int, *args: Any) -> Any:
        return self.partition_state(topic, p)

    def kill(self, node: int) -> None:
        pass

    def restart(self, node: int) -> None:
        pass

    def wait_brokers(self, nodes: list[int], timeout_s: float) -> None:
        pass

    def client_config(self, **extra: Any) -> dict[str, Any]:
        return dict(extra)

    def admin(self) -> Any:
        cluster = self

        class Admin:
            def elect_leaders(self, kind: Any, partitions: list[Any]) -> Any:
                cluster.elections += 1
                return SimpleNamespace(result=lambda timeout: {})

        return Admin()


class _Producer:
    """Acknowledges every send at once, at the next offset of its partition."""

    def __init__(self, conf: dict[str, Any], settings: Any, hw: HistoryWriter, name: str) -> None:
        self.hw, self.name, self.next = hw, name, {}

    def send(self, topic: str, p: int, value: str) -> None:
        key = tp_key(topic, p)
        inv = self.hw.invoke(self.name, "send", [[key, None, value]])
        offset = self.next[key] = self.next.get(key, -1) + 1
        self.hw.complete(inv, "ok", [[key, offset, value]])

    def poll(self, timeout: float) -> None:
        time.sleep(min(timeout, 0.02))

    def close(self, timeout: float) -> int:
        return 0


def test_the_kill_rounds_record_each_preferred_election_as_the_leader_move_they_predict(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def read_all(conf: Any, partitions: Any, hw: HistoryWriter, **kw: Any) -> None:
        events = read_events(hw.path)
        reads: dict[str, list[list[Any]]] = {tp_key(t, p): [] for t, p in partitions}
        for e in events:
            if e["f"] == "send" and e["type"] == "ok":
                for key, offset, value in e["value"]:
                    reads[key].append([offset, value])
        inv = hw.invoke("final-reader", "poll", None, complete=True)
        hw.complete(inv, "ok", reads, complete=True, ends={k: len(v) for k, v in reads.items()})

    packaged: dict[str, Any] = {}
    monkeypatch.setattr(sc, "HistoryProducer", _Producer)
    monkeypatch.setattr(sc, "complete_read", read_all)
    monkeypatch.setattr(sc, "finish", lambda *args, **kw: packaged.update(args=args, kw=kw))
    cluster = _Cluster()
    sc.acks_all_kill_rounds(cluster, tmp_path, rounds=2, partitions=2, rate_per_s=50,
                            down_s=0.0)  # type: ignore[arg-type]
    name, _, focus, config, faults, history = packaged["args"][:6]
    events = read_events(history)
    nemesis = [(e["f"], e.get("round")) for e in events
               if e["process"] == "nemesis" and e["type"] == "invoke"]
    assert [f for f, _ in nemesis] == ["kill", "restart", "preferred-election"] * 2
    assert [r for _, r in nemesis] == [0, 0, 0, 1, 1, 1]
    assert cluster.elections == 2
    assert faults == ["broker-kill", "leader-move"]
    # every fault of the prediction shows as injected, the leader move included
    assert conform.fault_problems(events, faults) == []
    rounds = packaged["kw"]["details"]["rounds"]
    assert [r["leaders_after_election"] for r in rounds] == [{0: 1, 1: 1}] * 2


def test_soak_rounds_whose_two_faults_no_model_fault_stands_for_are_named_per_combination(
) -> None:
    def round_of(*kinds: str) -> dict[str, Any]:
        return {"faults": [{"kind": k, "targets": [1]} for k in kinds]}

    rounds = [round_of("kill-broker", "kill-controller"), round_of("kill-broker", "pause-broker"),
              round_of("kill-consumer"), round_of("kill-controller", "kill-broker"),
              round_of("kill-broker", "kill-broker"), round_of("cut-follower", "kill-consumer"),
              # the producer run bounds a crash and a lost response apart: had at once
              round_of("kill-broker", "cut-clients"),
              # one isolation bound for two isolated leaders
              round_of("isolate-leader", "isolate-leader")]
    assert overlap_fault(["kill-broker", "pause-broker"]) == "broker-kill-overlapping"
    assert overlap_fault(["kill-broker", "kill-controller"]) is None
    assert split_rounds(rounds) == {("kill-broker", "kill-controller"): 2,
                                    ("cut-follower", "kill-consumer"): 1,
                                    ("isolate-leader", "isolate-leader"): 1}
    data = {"rounds": rounds, "faults": ["broker-kill", "broker-kill-overlapping", "client-cut",
                                         "consumer-crash", "controller-kill", "follower-cut",
                                         "leader-isolated", "pause"]}
    gaps = soak_gaps("s.json", data)
    assert [g.text for g in gaps] == [
        "`s.json`: 8 rounds predicted with one fault of each kind (the faults of one round)",
        "`s.json`: 2 rounds of kill-broker + kill-controller judged per fault (no model run "
        "has them at once)",
        "`s.json`: 1 round of cut-follower + kill-consumer judged per fault (no model run has "
        "them at once)",
        "`s.json`: 1 round of isolate-leader + isolate-leader judged per fault (no model run "
        "has them at once)",
    ]
    assert gaps[1].faults == {"broker-kill", "controller-kill"}


def test_faults_are_had_at_once_only_by_a_run_that_bounds_each_apart() -> None:
    # the replication run: crashes and leader_changes; the producer run: crashes for both
    assert together(["broker-kill", "leader-move"])
    assert together(["follower-cut", "lost-response"])  # producer: crashes, lost_responses
    assert not together(["broker-kill", "pause"])  # controller: no crash; producer: crashes
    assert not together(["broker-kill", "consumer-crash"])  # no run has both
    acks1 = {"scenario": "acks1-leader-kill", "faults": ["broker-kill", "pause"], "details": {}}
    assert [g.text for g in scenario_gaps(acks1)] == [
        "`acks1-leader-kill`: broker-kill + pause judged per fault (no model run has them at "
        "once)"]
    rounds = {"scenario": "acks-all-kill-rounds", "faults": ["broker-kill", "leader-move"],
              "details": {"rounds": [{"round": 0}, {"round": 1}]}}
    assert [g.text for g in scenario_gaps(rounds)] == [
        "`acks-all-kill-rounds`: 2 rounds predicted with the faults of one round"]


def _kill_rounds(faults: list[str]) -> dict[str, Any]:
    """acks-all-kill-rounds as `conformance run` recorded it (3 rounds, nothing lost)."""
    kinds = [{"kind": "lost-write", "observed": 0}, {"kind": "duplicate", "observed": 0}]
    return {
        "scenario": "acks-all-kill-rounds", "family": "replication", "description": "kills",
        "focus": ["lost-write", "duplicate"],
        "config": {"acks": "all", "min_insync_replicas": 2, "idempotence": True,
                   "layout": "split", "elr": 1},
        "faults": faults, "ops": {"send_ok": 300}, "seconds": 30.0,
        "judgement": {"verdict": "conforms", "problems": [], "kinds": kinds},
        "history_path": "/nonexistent/history.jsonl",
        "details": {"rounds": [{"round": r} for r in range(3)]},
    }


def test_the_page_names_a_fault_its_recorded_prediction_lacks_and_the_rounds_of_one_fault(
        tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    summary = {"kafka_version": "4.4.0", "cluster": {"layout": "split", "nodes": {}},
               "scenarios": [_kill_rounds(["broker-kill"])]}
    (tmp_path / "data" / "conformance-summary.json").write_text(json.dumps(summary))
    page = conformance_markdown(tmp_path, "now", "x")
    assert ("- `acks-all-kill-rounds` injects leader-move (a leadership move without a crash: "
            "a preferred-leader election): not in its recorded prediction") in page
    assert "- `acks-all-kill-rounds`: 3 rounds predicted with the faults of one round" in page
    runs = page.split("## The model runs behind the predictions", 1)[1]
    rows = [line for line in runs.splitlines() if line.startswith("| `")]
    assert [row.split(" | ")[0] for row in rows] == ["| `replication`", "| `producer`"]
    assert all(row.endswith("`acks-all-kill-rounds`: leader-move not predicted, 3 rounds "
                            "predicted with the faults of one |") for row in rows)


def test_the_failure_on_purpose_is_shown_as_recorded_not_judged_again() -> None:
    # Audit: the page said every prediction on it is made again; this section's verdict is
    # the one `judge --variant` recorded, and its history is not committed
    demo = {"result": "reports/data/conformance-summary.json", "scenario": "zombie-leader-acks1",
            "variant": ["controller=v.py:C"], "verdict": "FAIL", "problems": [], "kinds": []}
    text = "\n".join(page._demo_section(demo))
    assert "verdict: **FAIL**. This section shows what that command recorded" in text
    assert "nothing in it is predicted or judged again when the page is generated" in text
    assert "the command needs the run's history, which is not committed" in text
    assert "The failure-on-purpose section is not" in (page.__doc__ or "")


def test_the_committed_page_names_the_gaps_of_the_recorded_runs() -> None:
    page = (REPORTS / "conformance.md").read_text(encoding="utf-8")
    for name in ("soak-acks-all.json", "soak-acks-1.json"):
        data = json.loads((REPORTS / "data" / name).read_text(encoding="utf-8"))
        assert sum(split_rounds(data["rounds"]).values()) >= 13  # of 14 overlapping rounds
        for gap in soak_gaps(name, data):
            assert f"- {gap.text}" in page
    assert ("- `acks1-leader-kill`: broker-kill + pause judged per fault (no model run has "
            "them at once)") in page
    assert ("- `acks-all-kill-rounds` injects leader-move (a leadership move without a crash: "
            "a preferred-leader election): not in its recorded prediction") in page
    assert "- `acks-all-kill-rounds`: 8 rounds predicted with the faults of one round" in page


def test_every_scenario_names_the_faults_it_injects_by_their_model_names() -> None:
    from kafkacheck.conformance.predict import FAULTS

    assert all(s.faults for s in SCENARIOS.values())
    assert sorted({f for s in SCENARIOS.values() for f in s.faults} - set(FAULTS)) == []
