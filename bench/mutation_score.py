#!/usr/bin/env python3
"""Mutation score: the registered mutants against their properties, and source mutants
against the tests.

Part 1 (``--part registry``, minutes): every mutant registered in ``tests/mutants`` (a
model subclass overriding one rule) is checked, breadth-first, against each property its
``breaks=`` claims, on a witness configuration taken from the tests (``WITNESSES``).  It is
killed when the property is violated on the mutant and the unmutated model (the mutant's
base class), on the same configuration, has no counterexample as short (an invariant: a
search cut at the mutant's counterexample length, no proof beyond it) or keeps it (a
sometimes or eventually property: a complete search), so the failure is the mutation's
doing.

Part 2 (``--part patches``, about an hour on a loaded 2-core machine): each source mutant
is a one-place source patch (a wrong comparison, an off-by-one, a missing condition, a
swapped default) of the replication, controller, producer or group model or of an engine.
The tree is copied once to a temporary folder that Python imports
``kafkacheck`` from (PYTHONPATH before the editable install); for each mutant the patch is
applied there, the mapped test files run with ``pytest -x``, and the file is restored.  A
mutant is killed when a test fails.  Mutants marked equivalent carry the reason no test can
tell them from the original; they are run too (they must survive) and left out of the rate.

    .venv/bin/python bench/mutation_score.py --part registry \
        --markdown bench/results/mutation_score_registry.md
    .venv/bin/python bench/mutation_score.py --check         # patterns apply, nothing runs
    .venv/bin/python bench/mutation_score.py --part patches --only R01 --only E03
    .venv/bin/python bench/mutation_score.py --part patches --start-at C04  # resume
    nohup .venv/bin/python bench/mutation_score.py --part patches \
        --markdown bench/results/mutation_score_patches.md &
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTEST = Path(sys.executable).parent / "pytest"

REPLICATION = ("tests/test_replication_guarantees.py", "tests/test_kafka_versions.py",
               "tests/test_fault_models_and_stories.py")
CONTROLLER = ("tests/test_controller_guarantees.py",)
PRODUCER = ("tests/test_producer_config.py", "tests/test_producer_guarantees.py",
            "tests/test_producer_reachability_fails.py")
GROUP = ("tests/test_group_every_property_fails.py", "tests/test_group_delivery.py",
         "tests/test_group_ownership.py", "tests/test_group_replicated_log.py",
         "tests/test_group_fault_model.py")
ENGINE = ("tests/test_engine_semantics.py", "tests/test_engine_textbook.py",
          "tests/test_engine_capabilities.py", "tests/test_engine_fingerprints.py")
SYMMETRY = ("tests/test_symmetry.py",)


@dataclass(frozen=True)
class Mutant:
    """One patch: ``find`` (exactly once in ``path``) becomes ``replace``."""

    id: str
    area: str
    kind: str
    path: str
    find: str
    replace: str
    tests: tuple[str, ...]
    what: str
    equivalent: str = ""


PT = "model/cluster/partition.py"
RM = "model/cluster/replication.py"
CM = "model/cluster/controller.py"
PM = "model/clients/producer.py"
PB = "model/clients/producer_broker.py"
GM = "model/clients/group.py"

MUTANTS = [
    # -- the partition component and the replication model ---------------------------------
    Mutant("R01", "replication", "wrong comparison", PT,
           "if self.acks == -1 and isr.bit_count() < self.min_isr:",
           "if self.acks == -1 and isr.bit_count() <= self.min_isr:", REPLICATION,
           "acks=all is refused when the ISR has exactly min.insync.replicas members"),
    Mutant("R02", "replication", "off-by-one", PT,
           "if part.hws[part.leader] <= offset:\n            return WAITING",
           "if part.hws[part.leader] < offset:\n            return WAITING", REPLICATION,
           "an acks=all request is answered when the HW reaches its offset, not past it"),
    Mutant("R03", "replication", "wrong comparison", PT,
           "return NONE if part.isr.bit_count() >= self.min_isr else NOT_ENOUGH_AFTER",
           "return NONE if part.isr.bit_count() > self.min_isr else NOT_ENOUGH_AFTER",
           REPLICATION, "NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR equals min ISR"),
    Mutant("R04", "replication", "missing condition", PT,
           "if isr >> b & 1 and b != leader:", "if b != leader:", REPLICATION,
           "the leader's HW waits for followers outside the ISR too"),
    Mutant("R05", "replication", "missing condition", PT,
           "            if new_hw > len(new_log):\n                new_hw = len(new_log)\n",
           "", REPLICATION,
           "a growing follower takes the leader's HW without capping it at its new LEO",
           equivalent="the follower's new log is the leader's whole log, and the leader's HW "
           "never exceeds its LEO (HwWithinLeo holds in every run), so the cap never binds"),
    Mutant("R06", "replication", "wrong comparison", PT,
           "if f != leader and part.isr >> f & 1 and (not alive >> f & 1 or remote[f] < leo):",
           "if f != leader and part.isr >> f & 1 and (not alive >> f & 1 or remote[f] <= leo):",
           REPLICATION, "a caught-up follower counts as out of sync (ISR shrink always "
           "possible)"),
    Mutant("R07", "replication", "wrong comparison", PT,
           "if known < part.hws[part.leader]:\n            return False",
           "if known <= part.hws[part.leader]:\n            return False", REPLICATION,
           "a follower exactly at the HW may not rejoin the ISR"),
    Mutant("R08", "replication", "missing condition", PT,
           "return _new(Change, (NO_LEADER, target_isr or part.isr, 0, NO_LEADER, \"\"))",
           "return _new(Change, (NO_LEADER, target_isr, 0, NO_LEADER, \"\"))", REPLICATION,
           "KIP-841 forgotten: a partition with no acceptable leader gets an empty ISR"),
    Mutant("R09", "replication", "missing condition", PT,
           "        epoch = part.epoch + 1\n        synced = tuple(",
           "        epoch = part.epoch\n        synced = tuple(", REPLICATION,
           "a new leader keeps the old leader epoch"),
    Mutant("R10", "replication", "off-by-one", PT,
           "return range(0, min(part.hws[b], len(part.logs[b])) + 1)",
           "return range(0, min(part.hws[b], len(part.logs[b])))", REPLICATION,
           "a restarted broker never loads its latest HW from the checkpoint"),
    Mutant("R11", "replication", "wrong comparison", PT,
           "return leader_epoch == follower_epoch", "return leader_epoch >= follower_epoch",
           REPLICATION, "KIP-320: a leader serves fetches sent for an older leader epoch"),
    Mutant("R12", "replication", "wrong comparison", PT,
           "return part.isr.bit_count() >= self.min_isr\n",
           "return part.isr.bit_count() > self.min_isr\n", REPLICATION,
           "KAFKA-15583: the HW stops when the ISR equals min ISR"),
    Mutant("R13", "replication", "missing condition", PT,
           "elr = (part.elr | part.isr) & ~target_isr & ~unclean_shutdown",
           "elr = (part.elr | part.isr) & ~target_isr", REPLICATION,
           "KIP-966: a broker that shut down uncleanly stays an eligible leader"),
    Mutant("R14", "replication", "off-by-one", PT,
           "if candidate.since <= version:", "if candidate.since < version:", REPLICATION,
           "each Kafka release gets the rule set of the release before"),
    Mutant("R15", "replication", "swapped default", PT,
           "        return min(min_isr, replicas)\n", "        return min_isr\n", REPLICATION,
           "3.7+ applies min.insync.replicas above the replica count as configured"),
    Mutant("R16", "replication", "off-by-one", PT,
           "if flushed and leo - flushed[b] >= self.flush_every:",
           "if flushed and leo - flushed[b] > self.flush_every:", REPLICATION,
           "flush.messages=N fsyncs after N+1 messages"),
    Mutant("R17", "replication", "off-by-one", RM,
           "            if state.next_record <= self.max_records:",
           "            if state.next_record < self.max_records:", REPLICATION,
           "the producer sends one record fewer than the bound"),
    Mutant("R18", "replication", "missing condition", RM,
           "if state.bounces > 0 and all(part.leader != b for part in parts):",
           "if state.bounces > 0:", REPLICATION,
           "a partition leader may do a quick restart and keep its ISR membership"),
    Mutant("R19", "replication", "missing condition", RM,
           "eligible = state.alive & ~state.fenced & ~bit",
           "eligible = state.alive & ~state.fenced", REPLICATION,
           "a restarting broker may be elected during its own unclean-shutdown clean-up"),
    Mutant("R20", "replication", "swapped default", RM,
           "allow_unclean=self.unclean)", "allow_unclean=True)", REPLICATION,
           "offline partitions elect uncleanly whatever unclean.leader.election.enable says"),
    # -- the KRaft controller model -----------------------------------------------------------
    Mutant("C01", "controller", "off-by-one", CM,
           "self.majority = self.m // 2 + 1", "self.majority = (self.m + 1) // 2", CONTROLLER,
           "a majority of an even number of voters is taken as half"),
    Mutant("C02", "controller", "wrong comparison", CM,
           "if self._has_leader(state, v) or other.end > me.end:",
           "if self._has_leader(state, v) or other.end >= me.end:", CONTROLLER,
           "a voter whose log is as long as the candidate's refuses its vote"),
    Mutant("C03", "controller", "off-by-one", CM,
           "record = Controller(me.epoch, c, me.end + 1, image)",
           "record = Controller(me.epoch, c, me.end, image)", CONTROLLER,
           "a committed metadata record does not advance the log end offset"),
    Mutant("C04", "controller", "missing condition", CM,
           "elif reachable and phase == RUNNING:", "elif reachable:", CONTROLLER,
           "a broker that has not caught up with the metadata is unfenced"),
    Mutant("C05", "controller", "missing condition", CM,
           "        if new_isr & fenced:\n"
           "            return None  # INELIGIBLE_REPLICA (KIP-841)\n",
           "", CONTROLLER, "KIP-841: AlterPartition may add a fenced broker to the ISR"),
    Mutant("C06", "controller", "missing condition", CM,
           "                and ctrl[leader].epoch == ctrl[c].epoch)",
           ")", CONTROLLER,
           "a voter hears from its leader even when that leader is in another epoch"),
    Mutant("C07", "controller", "missing condition", CM,
           "if state.isolations > 0 and not cut & bit and cut | bit != everyone:",
           "if state.isolations > 0 and not cut & bit:", CONTROLLER,
           "the last node on one side may be isolated too (a 'cut' of nobody)"),
    Mutant("C08", "controller", "missing condition", CM,
           "return part.leader != b or view.epoch != part.epoch",
           "return part.leader != b", CONTROLLER,
           "a re-elected broker acting in its old leader epoch is not counted as deposed"),
    # -- the producer model ---------------------------------------------------------------
    Mutant("P01", "producer", "off-by-one", PM,
           "if in_flight > MAX_IN_FLIGHT_FOR_IDEMPOTENCE:",
           "if in_flight >= MAX_IN_FLIGHT_FOR_IDEMPOTENCE:", PRODUCER,
           "max.in.flight.requests.per.connection=5 is refused with idempotence"),
    Mutant("P02", "producer", "off-by-one", PM,
           "if self.acks != 0 and len(conn) >= self.max_in_flight:",
           "if self.acks != 0 and len(conn) > self.max_in_flight:", PRODUCER,
           "one request more than max.in.flight.requests.per.connection is sent"),
    Mutant("P03", "producer", "off-by-one", PM,
           "is_next = base - tp.acked == 1", "is_next = base - tp.acked == 0", PRODUCER,
           "OUT_OF_ORDER_SEQUENCE of the next batch after the last acked is taken as not next"),
    Mutant("P04", "producer", "wrong comparison", PM,
           "                if last > tp.acked:\n", "                if last >= tp.acked:\n",
           PRODUCER, "the last acked sequence is also written when unchanged",
           equivalent="when last == tp.acked the assignment writes the value already there"),
    Mutant("P05", "producer", "off-by-one", PM,
           "adjust = batch.attempts < self.retries", "adjust = batch.attempts <= self.retries",
           PRODUCER, "a batch that exhausted its retries still adjusts sequences (epoch bump)"),
    Mutant("P06", "producer", "off-by-one", PM,
           "if tp.next - tp.acked != 1:", "if tp.next - tp.acked != 0:", PRODUCER,
           "resolving sequences bumps the epoch although every sent batch was acked"),
    Mutant("P07", "producer", "missing condition", PM,
           "if part.leader != b or part.epoch != request.leader_epoch:",
           "if part.leader != b:", PRODUCER,
           "a delayed produce survives its leader losing and regaining leadership"),
    Mutant("P08", "producer", "off-by-one", PM,
           "return batch.attempts < self.retries and retriable",
           "return batch.attempts <= self.retries and retriable", PRODUCER,
           "the producer retries once more than retries allows"),
    Mutant("P09", "producer", "off-by-one", PB,
           "batches = (batches + ((d.base, d.base + d.count - 1, offset),))[-BATCHES_TO_RETAIN:]",
           "batches = (batches + ((d.base, d.base + d.count - 1, offset),))"
           "[-(BATCHES_TO_RETAIN - 1):]", PRODUCER,
           "the broker keeps the metadata of 4 producer batches, not 5"),
    Mutant("P10", "producer", "wrong comparison", PB,
           "if entry.epoch != NO_EPOCH and d.epoch < entry.epoch:",
           "if entry.epoch != NO_EPOCH and d.epoch <= entry.epoch:", PRODUCER,
           "a batch of the current producer epoch is refused as a stale epoch"),
    # -- the consumer group model ----------------------------------------------------------
    Mutant("G01", "group", "missing condition", GM,
           "        if m.generation != state.generation:\n"
           "            return \"ILLEGAL_GENERATION\"\n",
           "", GROUP, "the coordinator accepts commits from an older generation"),
    Mutant("G02", "group", "missing condition", GM,
           "        if state.group_state == COMPLETING:\n"
           "            return \"REBALANCE_IN_PROGRESS\"\n",
           "", GROUP, "commits are accepted while the group is completing a rebalance"),
    Mutant("G03", "group", "missing condition", GM,
           "if s.members >> i & 1 and not s.joined >> i & 1 and not self.static:",
           "if s.members >> i & 1 and not s.joined >> i & 1:", GROUP,
           "KIP-345 forgotten: static members are removed on the rebalance timeout"),
    Mutant("G04", "group", "off-by-one", GM,
           "end = min(self.fetch_limit(hw, leo), start + self.max_poll)",
           "end = min(self.fetch_limit(hw, leo), start + self.max_poll + 1)", GROUP,
           "a poll returns max.poll.records + 1 records"),
    Mutant("G05", "group", "wrong comparison", GM,
           "if start is not None and (start < lso or start > leo):",
           "if start is not None and (start < lso or start >= leo):", GROUP,
           "a position at the log end is taken as out of range (reset)"),
    Mutant("G06", "group", "swapped default", GM,
           "        if self.reset == \"earliest\":\n            return lso",
           "        if self.reset == \"earliest\":\n            return hw", GROUP,
           "auto.offset.reset=earliest resets to the end of the log"),
    Mutant("G07", "group", "missing condition", GM,
           "            status = UNJOINED  # KIP-429: revoke, then rejoin for the second round",
           "            status = MSTABLE", GROUP,
           "KIP-429: after revoking, a cooperative member does not rejoin"),
    Mutant("G08", "group", "missing condition", GM,
           "if not self.cooperative and m.owned:", "if m.owned:", GROUP,
           "cooperative members revoke everything before joining (eager behaviour)"),
    Mutant("G09", "group", "wrong comparison", GM,
           "if owned >> p & 1 and pos[p] >= 0 and committed[p] != pos[p]:",
           "if owned >> p & 1 and pos[p] > 0 and committed[p] != pos[p]:", GROUP,
           "a position 0 is never committed"),
    # -- the engines ------------------------------------------------------------------------
    Mutant("E01", "engine", "wrong value", "explorer/capabilities.py",
           "\"parallel bfs\", dict(_EXHAUSTIVE),",
           "\"parallel bfs\", {**_EXHAUSTIVE, \"eventually\": CHECKED},", ENGINE,
           "the parallel engine claims to check liveness (a wrong green)"),
    Mutant("E02", "engine", "missing condition", "explorer/result.py",
           "if not self.complete or self.not_checked or not self.proves:",
           "if not self.complete or not self.proves:", ENGINE,
           "a run with unchecked properties reads HOLDS"),
    Mutant("E03", "engine", "missing condition", "explorer/search.py",
           "return (self.wanted > 0 and len(self.found) >= self.wanted and not self.pending\n"
           "                and not self.live)",
           "return (self.wanted > 0 and len(self.found) >= self.wanted and not self.pending)",
           ENGINE, "the search stops once every safety property failed, liveness unchecked"),
    Mutant("E04", "engine", "missing condition", "explorer/liveness.py",
           "if not g.succ[node] and node not in cut:", "if not g.succ[node]:", ENGINE,
           "a state whose successors the bounds cut off counts as a deadlock"),
    Mutant("E05", "engine", "wrong value", "explorer/liveness.py",
           "return None  # always enabled here, never taken inside: unfair to stay",
           "continue  # always enabled here, never taken inside: unfair to stay", ENGINE,
           "weak fairness ignored: staying away from an always-enabled action counts as fair"),
    Mutant("E06", "engine", "off-by-one", "explorer/bfs.py",
           "if max_depth is not None and shard.depth >= max_depth:",
           "if max_depth is not None and shard.depth > max_depth:", ENGINE,
           "the depth limit explores one level more than asked"),
    Mutant("E07", "engine", "wrong value", "explorer/native.py",
           "_SMALL = 1 << 61", "_SMALL = 1 << 62", ENGINE,
           "the Python fingerprint twin encodes large ints differently from the C module"),
    Mutant("E08", "engine", "missing condition", "explorer/search.py",
           "            if self.within is not None and not self.within(state):\n"
           "                continue\n            fp = self.fp_of(state)",
           "            fp = self.fp_of(state)", ENGINE,
           "initial states outside the state constraint are explored"),
    Mutant("E09", "engine", "wrong value", "explorer/simulate.py",
           "result.proves = False  #", "result.proves = True  #", ENGINE,
           "random simulation claims HOLDS when it found nothing"),
    Mutant("E10", "engine", "wrong comparison", "model/cluster/symmetry.py",
           "targets = [q for q in range(count) if orders[q] == mapped[p]]",
           "targets = [q for q in range(count) if sorted(orders[q]) == sorted(mapped[p])]",
           SYMMETRY, "symmetry renames brokers whatever the replica order (elections differ)"),
    Mutant("E11", "engine", "missing condition", "explorer/liveness.py",
           "    elif states[-1] != states[loop_start]:", "    elif False:", SYMMETRY + ENGINE,
           "a lasso found under symmetry is shown closing on a renamed, different state"),
]


# -- part 1: the registered mutants (tests/mutants) against the properties they claim ------

R_SAFE = {"acks": "all", "min.insync.replicas": "2", "replication.factor": "3",
          "unclean.leader.election.enable": "false"}
C_SAFE = {"acks": "all", "min.insync.replicas": "2", "unclean.leader.election.enable": "false"}
C_BASE = {"records": 1, "crashes": 0, "isolations": 1}
P_FAILOVER = {"replication.factor": "2", "min.insync.replicas": "2"}
P_FAILOVER_BOUNDS = {"records": 2, "batch_records": 1, "crashes": 1, "lost_responses": 1,
                     "retry_budget": 2}
G_EARLIEST = {"auto.offset.reset": "earliest"}
G_MANUAL = {**G_EARLIEST, "enable.auto.commit": "false"}
G_COOPERATIVE = {**G_EARLIEST, "partition.assignment.strategy": "cooperative-sticky"}
G_REPLICATED = {"acks": "all", "replication.factor": "2", "auto.offset.reset": "earliest"}
CONSUMER = {"group.protocol": "consumer"}
R_RF3 = {"acks": "all", "replication.factor": "3", "min.insync.replicas": "2"}
R_IN_FLIGHT = {"crashes": 1, "crash_kind": "process", "isr_updates": "in-flight", "records": 1}
T_RC = {"transactional.id": "app", "isolation.level": "read_committed"}
T_SMALL = {"instances": 1, "partitions": 1}
T_LOOP = {"instances": 2, "partitions": 1, "inputs": 1, "rebalances": 1}
T_LOOP_TV1 = {**T_RC, "transaction.version": "1", "enable.auto.commit": "false"}
S_EOS = {"processing.guarantee": "exactly_once_v2"}
SOURCE_EOS = {"exactly.once.source.support": "enabled"}


def _kip848(clients: int, topics: int, ppt: int, maxp: int) -> dict[str, int]:
    return {"clients": clients, "topic_count": topics, "partitions_per_topic": ppt,
            "max_perturbations": maxp}


# (model, mutant, property, Kafka settings, bounds; "version" picks the Kafka version): the
# configuration on which the tests named in the comments show the property failing.
WITNESSES: list[tuple[str, str, str, dict[str, str], dict[str, object]]] = [
    # tests/test_replication_guarantees.py
    ("replication", "hw-ignores-isr", "NoAckedWriteLost",
     {**R_SAFE, "eligible.leader.replicas.version": "1"},
     {"crashes": 1, "crash_kind": "process"}),
    ("replication", "elect-outside-isr", "LeaderInIsr",
     {**R_SAFE, "eligible.leader.replicas.version": "0"},
     {"crashes": 1, "crash_kind": "process"}),
    ("replication", "hw-kept-on-truncation", "HwWithinLeo",
     {**R_SAFE, "eligible.leader.replicas.version": "1"},
     {"crashes": 1, "crash_kind": "power-loss"}),
    ("replication", "skip-truncation", "ReplicasAgreeBelowHw",
     {**R_SAFE, "eligible.leader.replicas.version": "1"},
     {"crashes": 1, "crash_kind": "process", "leader_changes": 1}),
    ("replication", "never-commit", "SomeRecordCommitted", R_SAFE,
     {"crashes": 1, "crash_kind": "process"}),
    ("replication", "never-commit", "ProduceRequestsComplete", R_SAFE,
     {"crashes": 1, "crash_kind": "process"}),
    ("replication", "no-election", "LeaderFailsOver", R_SAFE,
     {"crashes": 1, "crash_kind": "process"}),
    ("replication", "loose-hw", "CommittedRecordsStay",
     {"acks": "all", "replication.factor": "2", "min.insync.replicas": "2"},
     {"crash_kind": "power-loss"}),
    ("replication", "stale-fetch-state", "NoAckedWriteLost",
     {**R_SAFE, "eligible.leader.replicas.version": "1"},
     {"crash_kind": "power-loss", "leader_changes": 1, "records": 1}),
    # tests/test_replication_failure_modes.py, tests/test_mutant_claims_s21.py
    ("replication", "hw-counts-proposed-isr", "NoAckedWriteLost", R_RF3, R_IN_FLIGHT),
    ("replication", "hw-counts-proposed-isr", "CommittedRecordsStay", R_RF3, R_IN_FLIGHT),
    # tests/test_controller_guarantees.py (FAILING and the stale-controller test)
    ("controller", "broker-accepts-stale-controller", "BrokerMetadataNeverGoesBack", C_SAFE,
     {"records": 0, "crashes": 0, "isolations": 1}),
    ("controller", "broker-accepts-stale-controller", "EpochsOnlyGrow", C_SAFE,
     {"records": 0, "crashes": 0, "isolations": 1}),
    ("controller", "stale-controller-epoch", "EpochsOnlyGrow", C_SAFE, C_BASE),
    ("controller", "election-without-majority", "OneActiveControllerPerEpoch", C_SAFE,
     {**C_BASE, "crashes": 1}),
    ("controller", "commit-without-majority", "MetadataCommittedByMajority", C_SAFE, C_BASE),
    ("controller", "stale-alter-partition", "LeaderInIsr", C_SAFE,
     {**C_BASE, "slow_followers": 1}),
    ("controller", "no-leader-epoch-bump", "OneLeaderPerLeaderEpoch", C_SAFE,
     {**C_BASE, "crashes": 1}),
    ("controller", "elect-fenced", "FencedBrokerNeverLeads", C_SAFE,
     {**C_BASE, "crashes": 1, "slow_followers": 1}),
    ("controller", "fetch-ignores-epoch", "ReplicasAgreeBelowHw", C_SAFE,
     {**C_BASE, "records": 2, "isolations": 0, "leader_changes": 2}),
    ("controller", "no-election", "LeaderFailsOver", C_SAFE,
     {"records": 0, "crashes": 1, "isolations": 0, "slow_followers": 1, "version": "3.4"}),
    # tests/test_controller_retention_audit.py
    ("controller", "fenced-joins-isr", "FencedNeverJoinsIsr",
     {"acks": "all", "min.insync.replicas": "2"},
     {"brokers": 2, "controllers": 1, "slow_followers": 1, "crashes": 0, "isolations": 0,
      "restarts": 0, "disk_losses": 1, "isr_updates": "in-flight", "records": 1}),
    # (3.9: KRaft controllers ignore unclean.leader.election.enable before it, KAFKA-12670)
    ("controller", "truncate-keeps-hw", "HwWithinLeo",
     {**C_SAFE, "acks": "1", "min.insync.replicas": "1", "unclean.leader.election.enable": "true",
      "process.roles": "broker"},
     {**C_BASE, "brokers": 2, "controllers": 1, "crashes": 1, "slow_followers": 1,
      "version": "3.9"}),
    # tests/test_producer_guarantees.py, tests/test_producer_reachability_fails.py
    ("producer", "no-producer-state", "NoDuplicates", P_FAILOVER,
     {**P_FAILOVER_BOUNDS, "keys": 0}),
    ("producer", "skip-sequence-check", "PartitionOrder", P_FAILOVER,
     {**P_FAILOVER_BOUNDS, "keys": 0}),
    ("producer", "skip-sequence-check", "KeyOrder", P_FAILOVER,
     {**P_FAILOVER_BOUNDS, "keys": 1}),
    ("producer", "oos-as-success", "NoAckedRecordLost", P_FAILOVER,
     {**P_FAILOVER_BOUNDS, "keys": 0}),
    ("producer", "never-ack", "SomeRecordAcked", {}, {"records": 1}),
    ("producer", "never-retry", "SomeBatchRetried", {}, {"records": 1}),
    ("producer", "never-retry", "RetryAfterFailover", P_FAILOVER,
     {"records": 1, "crashes": 1}),
    ("producer", "timeout-only-unread", "TimedOutSendWritten",
     {"enable.idempotence": "false", "retries": "0"}, {"records": 1}),
    ("producer", "rejects-after-append", "DefiniteFailureAbsent",
     {**P_FAILOVER, "retries": "0", "enable.idempotence": "false"},
     {"records": 2, "batch_records": 1}),
    # tests/test_group_every_property_fails.py, tests/test_group_replicated_log.py
    ("group", "accept-stale-commits", "CommitsFromCurrentGeneration", G_MANUAL,
     {"commit": "sync-after-processing", "records": 1, "poll_timeouts": 1}),
    ("group", "no-withhold", "OneOwnerPerGeneration", G_COOPERATIVE,
     {"consumers": 3, "partitions": 3, "records": 0}),
    ("group", "no-withhold", "NoTwoOwnersAtOnce", G_COOPERATIVE,
     {"consumers": 3, "partitions": 3, "records": 0}),
    ("group", "assign-all-to-leader", "BalancedAssignment", G_EARLIEST,
     {"consumers": 3, "partitions": 2, "records": 0}),
    ("group", "assign-all-to-leader", "ExtraConsumersIdle", G_EARLIEST,
     {"consumers": 3, "partitions": 2, "records": 0}),
    ("group", "fetch-above-hw", "ConsumersReadBelowHw", G_EARLIEST,
     {"consumers": 1, "records": 1, "hw_lag": 1}),
    ("group", "fetch-above-hw", "ReadRecordsStay", G_REPLICATED,
     {"consumers": 1, "records": 1, "log": "replicated"}),
    ("group", "delete-on-commit", "ConsumingNeverDeletes", G_MANUAL,
     {"commit": "sync-after-processing", "records": 1, "consumers": 1}),
    # tests/test_group_consumer_protocol.py
    ("group-consumer", "assign-unreleased", "SingleOwnerAtCoordinator", CONSUMER, {}),
    ("group-consumer", "assign-unreleased", "NoTwoOwnersAtOnce", CONSUMER, {}),
    ("group-consumer", "never-release", "GroupConverges", CONSUMER, {}),
    ("group-consumer", "accept-stale-commits", "StaleCommitsRejected", CONSUMER,
     {"pauses": 1}),
    ("group-consumer", "adopt-previous-epoch", "MemberEpochsNeverGoBack", CONSUMER,
     {"lost_responses": 1}),
    ("group-consumer", "assignor-duplicates", "TargetAssignmentLegal", CONSUMER, {}),
    ("group-consumer", "fetch-above-hw", "ConsumersReadBelowHw", CONSUMER,
     {"records": 1, "hw_lag": 1, "partitions": 1}),
    ("group-consumer", "delete-on-commit", "ConsumingNeverDeletes", CONSUMER,
     {"records": 1, "partitions": 1}),
    # tests/test_txn_every_property_fails.py, tests/test_mutant_claims_s21.py
    ("transactions", "stable-up-to-hw", "NoAbortedRead", T_RC, T_SMALL),
    ("transactions", "keeps-aborted-records", "NoAbortedRead", T_RC, {**T_SMALL, "aborts": 1}),
    ("transactions", "keeps-aborted-records", "AtomicCommit", T_RC,
     {"instances": 2, "partitions": 2}),
    ("transactions", "accepts-older-epochs", "ZombieFenced",
     {**T_RC, "transaction.version": "1", "transaction.partition.verification.enable": "false"},
     {"instances": 2, "partitions": 1, "late_produces": 1}),
    ("transactions", "end-txn-ignores-epoch", "ZombieFenced", T_RC,
     {"instances": 2, "partitions": 1}),
    ("transactions", "refuses-markers", "TransactionsComplete", T_RC, T_SMALL),
    ("transactions", "refuses-markers", "LsoAdvances", T_RC, T_SMALL),
    ("transactions", "refuses-markers", "CommittedBecomesVisible", T_RC, T_SMALL),
    ("transactions", "new-leader-keeps-hw", "LsoAdvances", T_RC, {**T_SMALL, "crashes": 1}),
    ("transactions", "new-leader-keeps-hw", "CommittedBecomesVisible", T_RC,
     {**T_SMALL, "crashes": 1}),
    ("transactions", "no-generation-check", "ZombieOffsetsFenced", T_LOOP_TV1, T_LOOP),
    ("transactions", "no-generation-check", "ExactlyOnce", T_LOOP_TV1, T_LOOP),
    ("transactions", "unstable-offset-fetch", "ExactlyOnce", T_LOOP_TV1, T_LOOP),
    ("transactions", "loads-below-hw", "CommittedNotLost",
     {**T_RC, "replication.factor": "1", "transaction.state.log.replication.factor": "2"},
     {"instances": 2, "partitions": 1, "coordinator_moves": 1}),
    ("transactions", "no-seek-after-abort", "LoopCompletes", T_LOOP_TV1,
     {**T_LOOP, "rebalances": 0, "instances": 1, "aborts": 1}),
    # tests/test_streams_every_property_fails.py, tests/test_source_guarantees.py
    ("streams", "restore-read-uncommitted", "CountsExact", S_EOS,
     {"instances": 1, "inputs": 1}),
    ("streams", "restore-never-completes", "AllCounted", S_EOS, {"instances": 1, "inputs": 1}),
    ("sink", "commit-before-put", "SinkNoLoss", {}, {"records": 1}),
    ("source", "offsets-outside-transaction", "SourceAtLeastOnce", SOURCE_EOS, {"records": 1}),
    ("source", "transactional-id-per-worker", "SourceExactlyOnce",
     {**SOURCE_EOS, "transaction.version": "1"}, {"records": 1}),
    ("source", "task-never-starts", "AllProduced", SOURCE_EOS, {"records": 1}),
    # tests/test_kafka_spec_matches_tla.py, tests/test_kip848_spec_matches_tla.py
    ("kafka-spec", "leader-outside-isr", "LeaderInIsrWhenLeader", {}, {}),
    ("kafka-spec", "epoch-past-max", "TypeOk", {}, {}),
    ("kip848-spec", "fence-while-unsubscribed", "TypeOK", {}, _kip848(1, 2, 1, 2)),
    ("kip848-spec", "assignor-skips-unsubscribed-topics", "LegalTargetAssignment", {},
     _kip848(1, 2, 1, 1)),
    ("kip848-spec", "assign-before-revoked", "NoDoubleClientAssignment", {},
     _kip848(2, 2, 1, 0)),
    ("kip848-spec", "revoked-partitions-epoch-cleared", "ValidPartitionEpoch", {},
     _kip848(1, 2, 1, 1)),
    ("kip848-spec", "stable-ignores-target-epoch", "ValidStableGroupState", {},
     _kip848(1, 2, 1, 1)),
    ("kip848-spec", "epoch-bump-while-revoking", "ValidMemberEpoch", {}, _kip848(2, 2, 1, 0)),
    ("kip848-spec", "reconciliation-restores-start-epoch", "ClientSideMemberEpochIsMonotonic",
     {}, _kip848(2, 2, 1, 0)),
    ("kip848-spec", "resubscribe-restarts-member-epoch", "GcSideMemberEpochIsMonotonic", {},
     _kip848(1, 2, 1, 2)),
    # tests/test_engine_textbook.py, tests/test_every_property_can_fail.py
    ("twophase", "early-commit", "TCConsistent", {}, {}),
    ("twophase", "tm-never-decides", "CanCommit", {}, {}),
    ("twophase", "tm-never-decides", "Terminates", {}, {}),
    ("diehard", "fill-overflows", "TypeOK", {}, {}),
    ("diehard", "small-jug-leaks", "BothFull", {}, {}),
]


def load_registry() -> dict:
    """Every mutant registered under tests/mutants (all its modules imported)."""
    import importlib
    import pkgutil

    tests = str(ROOT / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    import mutants

    for info in pkgutil.iter_modules(mutants.__path__):
        importlib.import_module(f"mutants.{info.name}")
    return mutants.MUTANTS


def _build(cls: type, settings: dict[str, str], bounds: dict[str, object]) -> object:
    """``cls`` over the configuration, built as make_mutant builds a mutant."""
    from kafkacheck.config import build_config

    bounds = dict(bounds)
    version = bounds.pop("version", None)
    config = build_config(cls, [(k, str(v)) for k, v in settings.items()],
                          bounds=[(k, str(v)) for k, v in bounds.items()],
                          kafka_version=version)
    return cls(config)


def _unmutated(cls: type, registered: set[type]) -> type:
    """The model class a mutant overrides: its nearest ancestor that is not a mutant."""
    for base in cls.__mro__[1:]:
        if base not in registered and getattr(base, "name", None):
            return base
    raise SystemExit(f"{cls.__name__}: no unmutated base class")


def registry_rows(max_seconds: float) -> list[tuple]:
    """(model, mutant, property, outcome, seconds, trace length, base verdict) per claim."""
    from kafkacheck.explorer.bfs import breadth_first

    registry = load_registry()
    registered = {m.cls for m in registry.values()}
    witness = {(m, n, p): (s, b) for m, n, p, s, b in WITNESSES}
    rows = []
    for (model, name), entry in sorted(registry.items()):
        for prop in entry.breaks:
            if (model, name, prop) not in witness:
                rows.append((model, name, prop, "SURVIVED: no witness configuration", 0.0,
                             None, ""))
                continue
            settings, bounds = witness[(model, name, prop)]
            started = time.process_time()
            found = breadth_first(_build(entry.cls, settings, bounds), [prop],
                                  max_seconds=max_seconds)
            violation = found.violation(prop)
            length = len(violation.trace) if violation and violation.trace else None
            base_model = _build(_unmutated(entry.cls, registered), settings, bounds)
            if violation is None:
                outcome, base_verdict = f"SURVIVED ({found.result})", ""
            else:
                # An invariant: the unmutated model has no counterexample as short (so the
                # shortest one is the mutation's); other kinds: it keeps the property.
                depth = length if violation.property.kind == "always" else None
                base = breadth_first(base_model, [prop], max_seconds=max_seconds,
                                     max_depth=depth)
                timed_out = not (base.stop_reason == "complete"
                                 or base.stop_reason.startswith("depth limit"))
                if base.violation(prop) is not None:
                    outcome, base_verdict = "SURVIVED: the unmutated model fails too", "violated"
                elif depth is not None and not timed_out:
                    outcome, base_verdict = "killed", f"no counterexample in {depth} steps"
                elif base.result == "holds":
                    outcome, base_verdict = "killed", "holds"
                else:
                    outcome = "killed (unmutated run unfinished)"
                    base_verdict = f"{base.result}: {base.stop_reason}"
            seconds = time.process_time() - started
            rows.append((model, name, prop, outcome, seconds, length, base_verdict))
            print(f"{model:14} {name:36} {prop:34} {outcome:8} "
                  f"{'' if length is None else length:>3} steps  unmutated: {base_verdict}"
                  f"  {seconds:5.1f} s", flush=True)
    unused = sorted({(m, n) for m, n, _p, _s, _b in WITNESSES} - set(registry))
    if unused:
        raise SystemExit(f"witnesses for mutants that are not registered: {unused}")
    return rows


def registry_markdown(path: Path, rows: list[tuple], summary: str) -> None:
    """The table of registered mutants, their claimed properties and the outcomes."""
    lines = ["# Mutation score: the registered mutants (tests/mutants)", "",
             "`.venv/bin/python bench/mutation_score.py --part registry --markdown "
             "bench/results/mutation_score_registry.md`: each registered mutant, breadth-first "
             "on a witness configuration taken from the tests, against each property its "
             "`breaks=` claims; killed when the property fails on the mutant and the unmutated "
             "model (the mutant's base class), on the same configuration, does not fail it "
             "as soon: for an invariant the unmutated run is a search cut at the mutant's "
             "counterexample length (\"no counterexample in N steps\", no verdict beyond "
             "N), for a sometimes or eventually property a complete search that keeps it "
             "(\"holds\").  CPU seconds, both runs, indicative (loaded machine).", "",
             f"**{summary}**", "",
             "| model | mutant | property | outcome | steps | unmutated | CPU s |",
             "|---|---|---|---|---|---|---|"]
    for model, name, prop, outcome, seconds, length, base in rows:
        lines.append(f"| {model} | {name} | {prop} | {outcome} | "
                     f"{'' if length is None else length} | {base} | {seconds:.1f} |")
    path.write_text("\n".join(lines) + "\n")


def run_registry(args: argparse.Namespace) -> int:
    """Part 1: print (and write) the registered mutants' score; 0 when every claim holds."""
    started = time.monotonic()
    rows = registry_rows(args.max_seconds)
    killed = sum(1 for r in rows if r[3].startswith("killed"))
    mutants = {(r[0], r[1]) for r in rows}
    alive = {(r[0], r[1]) for r in rows if not r[3].startswith("killed")}
    dead = mutants - alive
    survivors = [f"{r[0]}/{r[1]}: {r[2]} ({r[3]})" for r in rows
                 if not r[3].startswith("killed")]
    summary = (f"{len(mutants)} registered mutants, {len(rows)} claimed properties: "
               f"{killed} of {len(rows)} claims killed ({killed / len(rows):.0%}); "
               f"{len(dead)} of {len(mutants)} mutants break everything they claim"
               f" ({time.monotonic() - started:.0f} s wall)")
    print(summary)
    for line in survivors:
        print(f"  survived: {line}")
    if args.markdown:
        registry_markdown(Path(args.markdown), rows, summary)
    return 0 if not survivors else 1


# -- part 2: source mutants against the tests ----------------------------------------------


def copy_tree(target: Path) -> Path:
    """A copy of the working tree and a folder that imports ``kafkacheck`` from it."""
    skip = shutil.ignore_patterns(".venv", ".git", "__pycache__", ".pytest_cache", ".ruff_cache",
                                  ".hypothesis", "test-artifacts", "*.egg-info", "reports")
    tree = target / "tree"
    shutil.copytree(ROOT, tree, ignore=skip)
    shutil.copytree(ROOT / "reports", tree / "reports")
    package = target / "import" / "kafkacheck"
    package.mkdir(parents=True)
    for item in (tree / "kafkacheck").iterdir():
        (package / item.name).symlink_to(item)
    for name in ("model", "explorer", "properties"):
        (package / name).symlink_to(tree / name)
    return tree


def run_tests(tree: Path, imports: Path, tests: tuple[str, ...], timeout: float,
              deselect: list[str] | None = None) -> tuple[str, float, str]:
    """('passed' | 'failed' | 'error' | 'timeout', seconds, the first failing test)."""
    env = {**os.environ, "PYTHONPATH": str(imports), "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.monotonic()
    try:
        skip = [arg for node in deselect or () for arg in ("--deselect", node)]
        proc = subprocess.run([str(PYTEST), "-x", "-q", "-p", "no:cacheprovider", *skip,
                               *tests],
                              cwd=tree, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - started, ""
    seconds = time.monotonic() - started
    out = proc.stdout + proc.stderr
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", out, re.M)
    first = failed[0] if failed else ""
    if proc.returncode == 0:
        return "passed", seconds, ""
    if proc.returncode == 1:
        return "failed", seconds, first
    return "error", seconds, first or out.strip().splitlines()[-1][:120]


def apply(tree: Path, m: Mutant) -> str | None:
    """Patch the copy; the original text, or None when ``find`` is not there exactly once."""
    path = tree / m.path
    text = path.read_text()
    if text.count(m.find) != 1:
        return None
    path.write_text(text.replace(m.find, m.replace))
    return text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", action="append", default=[], help="run this mutant id")
    ap.add_argument("--start-at", help="patches: resume a stopped run at this mutant id")
    ap.add_argument("--check", action="store_true", help="only check that patches apply")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per test run")
    ap.add_argument("--markdown", help="write the table to this file")
    ap.add_argument("--part", choices=("registry", "patches"), default="registry",
                    help="registry: tests/mutants against their properties (minutes); "
                    "patches: source mutants against the tests (about an hour)")
    ap.add_argument("--max-seconds", type=float, default=300.0,
                    help="registry: the search limit of one check")
    args = ap.parse_args()
    if args.part == "registry":
        return run_registry(args)
    chosen = [m for m in MUTANTS if not args.only or m.id in args.only]
    ids = [m.id for m in MUTANTS]
    if args.start_at:
        if args.start_at not in ids:
            raise SystemExit(f"no mutant {args.start_at!r}")
        chosen = [m for m in chosen if ids.index(m.id) >= ids.index(args.start_at)]
    if len(set(ids)) != len(ids):
        raise SystemExit("duplicate mutant ids")
    with tempfile.TemporaryDirectory(prefix="kafkacheck-mutants-") as tmp:
        tree = copy_tree(Path(tmp))
        imports = Path(tmp) / "import"
        stale = [m.id for m in chosen if (tree / m.path).read_text().count(m.find) != 1]
        if stale:
            print(f"patterns not found exactly once: {', '.join(stale)}")
            return 2
        if args.check:
            print(f"{len(chosen)} mutants apply")
            return 0
        # A test that fails unmutated here (a time limit on a loaded machine) is deselected
        # for its group, and listed with the results; a group that keeps failing stops all.
        deselected: dict[tuple[str, ...], list[str]] = {}
        for tests in sorted({m.tests for m in chosen}):
            skip = deselected.setdefault(tests, [])
            for _attempt in range(4):
                status, seconds, first = run_tests(tree, imports, tests, args.timeout, skip)
                print(f"baseline {' '.join(Path(t).stem for t in tests)}: {status} "
                      f"({seconds:.0f} s) {first}", flush=True)
                if status == "passed" or not first or _attempt == 3:
                    break
                skip.append(first)
            if status != "passed":
                return 2
        rows = []
        for m in chosen:
            original = apply(tree, m)
            assert original is not None
            try:
                status, seconds, first = run_tests(tree, imports, m.tests, args.timeout,
                                                   deselected[m.tests])
            finally:
                (tree / m.path).write_text(original)
            killed = status in ("failed", "error")
            verdict = "killed" if killed else ("equivalent" if m.equivalent else status
                                              if status == "timeout" else "SURVIVED")
            if m.equivalent and killed:
                verdict = "killed (marked equivalent!)"
            rows.append((m, verdict, seconds, first))
            print(f"{m.id} {m.area:11} {verdict:10} {seconds:6.0f} s  {m.what}"
                  + (f"  [{first}]" if first else ""), flush=True)
            if args.markdown:  # after each mutant, so that a stopped run leaves its part
                write_markdown(Path(args.markdown), rows, score(rows, len(chosen)),
                               sorted({n for nodes in deselected.values() for n in nodes}))
    summary = score(rows, len(chosen))
    print(summary)
    counted = [r for r in rows if not r[0].equivalent]
    killed = sum(1 for r in counted if r[1] == "killed")
    return 0 if killed == len(counted) else 1


def score(rows: list, chosen: int) -> str:
    """The kill rate of the mutants run so far, equivalent ones left out."""
    counted = [r for r in rows if not r[0].equivalent]
    killed = sum(1 for r in counted if r[1] == "killed")
    rate = killed / len(counted) if counted else 1.0
    partial = f" (partial: {len(rows)} of {chosen} run)" if len(rows) < chosen else ""
    return (f"{len(rows)} mutants, {len(rows) - len(counted)} equivalent; "
            f"{killed} of {len(counted)} non-equivalent killed: {rate:.0%}{partial}")


def write_markdown(path: Path, rows: list, summary: str, deselected: list[str]) -> None:
    """The table of mutants and outcomes, for bench/results."""
    lines = ["# Mutation score: source mutants against the tests", "",
             "`.venv/bin/python bench/mutation_score.py --part patches --markdown "
             "bench/results/mutation_score_patches.md` (each mutant: one source patch, the "
             "mapped test files with `pytest -x`).", "", f"**{summary}**", "",
             *([f"Deselected (failed unmutated on this loaded machine): "
                f"{', '.join(f'`{n}`' for n in deselected)}", ""] if deselected else []),
             "| id | area | kind | file | mutant | outcome | first failing test | s |",
             "|---|---|---|---|---|---|---|---|"]
    for m, verdict, seconds, first in rows:
        outcome = verdict if not m.equivalent else f"{verdict}: {m.equivalent}"
        first = first.replace("|", "\\|")
        lines.append(f"| {m.id} | {m.area} | {m.kind} | `{m.path}` | {m.what} | {outcome} | "
                     f"`{first}` | {seconds:.0f} |" if first else
                     f"| {m.id} | {m.area} | {m.kind} | `{m.path}` | {m.what} | {outcome} | "
                     f" | {seconds:.0f} |")
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
