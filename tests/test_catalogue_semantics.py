"""No Kafka key that can change a modelled guarantee is accepted as having "no effect".

Audit 9 of the generated Kafka 4.4 catalogue: a key outside the settings registry
(model/settings.py) is printed as "accepted but not modelled (no effect on these
verdicts)" and the run may still HOLD.  The keys below change what a model's guarantee
means (where committed or source offsets live and how many copies they have, where a
consumer fetches from, how a Streams task restores or skips records, who votes in the
KRaft quorum, whether the consumer is a share-group member), so they are registered with
the role of the models they concern: set to anything but Kafka's default, the run is NOT
COVERED (exit 3); at the default they change nothing.  Each run is a fraction of a second.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kafkacheck import catalogue
from kafkacheck.cli import EXIT_HOLDS, EXIT_INCOMPLETE, main
from kafkacheck.model.settings import SETTINGS, lookup, render

EXIT_NOT_COVERED = EXIT_INCOMPLETE  # exit 3: no verdict for the run as a whole

FAST = ["--no-diagram", "--no-estimate", "--progress-every", "0"]

# Small runs that complete (HOLDS at the defaults), one per model concerned.
# (group: two consumers and hw_lag=1, so that ExtraConsumersIdle and ConsumersReadBelowHw
# can fail and are checked; with one consumer and hw_lag=0 they are not checked and the run
# exits 3, audit s21)
# (every property but CommitsFromCurrentGeneration, which cannot fail without a member
# dropped while it runs on, audit s23)
GROUP = ["group", "--bound", "consumers=2", "--bound", "records=1", "--bound", "hw_lag=1",
         *(f"--property={name}" for name in (
             "OneOwnerPerGeneration", "NoTwoOwnersAtOnce", "NoConcurrentProcessing",
             "ConsumingNeverDeletes", "AtLeastOnce", "AtMostOnce", "NoSkippedOffsets",
             "ConsumersReadBelowHw", "BalancedAssignment", "ExtraConsumersIdle",
             "SomeRecordProcessed", "AllRecordsProcessed"))]
TXN_LOOP = ["transactions", "--bound", "inputs=1", "--bound", "instances=1",
            "--set", "enable.auto.commit=false"]
STREAMS = ["streams", "--bound", "instances=1", "--bound", "inputs=1",
           "--bound", "instance_crashes=0"]
# SourceAtLeastOnce only: without a crash SourceExactlyOnce cannot fail and is not checked
# (session 22), which would turn the defaults' HOLDS into exit 3.
SOURCE = ["source", "--bound", "workers=1", "--bound", "records=1", "--bound", "task_crashes=0",
          "--property", "SourceAtLeastOnce"]
# One property: one broker and one voter leave the quorum properties and
# ReplicasAgreeBelowHw not checked (they cannot fail), so the whole run would exit 3.
CONTROLLER = ["controller", "--bound", "brokers=1", "--bound", "controllers=1",
              "--bound", "records=1", "--bound", "partitions=1",
              "--property", "EpochsOnlyGrow"]

# key -> (a value other than Kafka's default, the run of a model it concerns)
REGISTERED_BY_AUDIT9 = {
    "offsets.topic.replication.factor": ("1", GROUP),
    "replica.selector.class": ("org.apache.kafka.common.replica.RackAwareReplicaSelector",
                               GROUP),
    "share.acknowledgement.mode": ("explicit", GROUP),
    "share.acquire.mode": ("record_limit", GROUP),
    "offset.storage.replication.factor": ("1", SOURCE),
    "offset.storage.file.filename": ("/var/lib/connect/offsets", SOURCE),
    "num.standby.replicas": ("1", STREAMS),
    "enable.transactional.statestores": ("true", STREAMS),
    "production.exception.handler": ("com.example.ContinueOnSendError", STREAMS),
    "default.production.exception.handler": ("com.example.ContinueOnSendError", STREAMS),
    "deserialization.exception.handler":
        ("org.apache.kafka.streams.errors.LogAndContinueExceptionHandler", STREAMS),
    "default.deserialization.exception.handler":
        ("org.apache.kafka.streams.errors.LogAndContinueExceptionHandler", STREAMS),
    "processing.exception.handler":
        ("org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler", STREAMS),
    "controller.quorum.bootstrap.servers": ("localhost:9093", CONTROLLER),
    "controller.quorum.auto.join.enable": ("true", CONTROLLER),
}


def _check(capsys, run: list[str], key: str, value: str) -> tuple[int, str]:
    code = main(["check", *run, *FAST, "--set", f"{key}={value}"])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("key", sorted(REGISTERED_BY_AUDIT9))
def test_a_semantic_key_set_away_from_its_default_is_not_covered(key, capsys):
    value, run = REGISTERED_BY_AUDIT9[key]
    code, out = _check(capsys, run, key, value)
    assert code == EXIT_NOT_COVERED, out
    shown = render(key, lookup(key).value_of(value))
    assert f"NOT COVERED: {key}={shown}" in out, out
    assert "HOLDS" not in out


@pytest.mark.parametrize("key", sorted(REGISTERED_BY_AUDIT9))
def test_a_semantic_key_at_its_kafka_default_changes_nothing(key, capsys):
    _, run = REGISTERED_BY_AUDIT9[key]
    setting = lookup(key)
    code, out = _check(capsys, run, key, setting.render(setting.default))
    assert code == EXIT_HOLDS, out
    assert "NOT COVERED" not in out
    assert re.search(rf"accepted but not modelled: .*\b{re.escape(key)}\b", out), out


@pytest.mark.parametrize("key", sorted(REGISTERED_BY_AUDIT9))
def test_the_registered_default_is_the_kafka_4_4_default(key):
    # The registry's default is what the 4.4 catalogue says (the value NOT COVERED is
    # measured against), parsed the registry's way.
    setting = lookup(key)
    definition = next(d for role in catalogue.ROLES
                      if (d := catalogue.load().keys(role).get(key)) is not None)
    expected = None if definition.default is None else setting.parse(definition.default)
    assert setting.default == expected
    assert setting.semantics, key


# Audit of the Streams/Connect models (finding 2): a connector's transformations were
# "accepted but not modelled (no effect on these verdicts)" and SinkNoLoss and
# SourceAtLeastOnce held with a Filter that drops every record, though the worker commits
# past a dropped record (WorkerSinkTask.convertMessages keeps its offset in origOffsets;
# AbstractWorkerSourceTask.sendRecords calls recordDropped and goes on).
SINK = ["sink", "--bound", "records=1", "--bound", "write=upsert"]
CONNECTOR_KEYS = {"transforms": "f", "predicates": "p"}
CONNECT_RUNS = {"sink": [*SINK, "--property", "SinkNoLoss"],
                "source": [*SOURCE, "--property", "SourceAtLeastOnce"]}


@pytest.mark.parametrize("model", sorted(CONNECT_RUNS))
@pytest.mark.parametrize("key", sorted(CONNECTOR_KEYS))
def test_a_connectors_transformations_are_not_covered(key, model, capsys):
    alias = CONNECTOR_KEYS[key]
    code, out = main(["check", *CONNECT_RUNS[model], *FAST, "--set", f"{key}={alias}",
                      "--set", f"{key}.{alias}.type=org.apache.kafka.connect.transforms.Filter"]
                     ), capsys.readouterr().out
    assert code == EXIT_NOT_COVERED, out
    assert f"NOT COVERED: {key}={alias} (changes producer and consumer semantics" in out
    assert "HOLDS" not in out


@pytest.mark.parametrize("model", sorted(CONNECT_RUNS))
@pytest.mark.parametrize("key", sorted(CONNECTOR_KEYS))
def test_a_connector_without_transformations_is_covered(key, model, capsys):
    code, out = _check(capsys, CONNECT_RUNS[model], key, " ")
    assert code == EXIT_HOLDS, out
    assert re.search(rf"accepted but not modelled: .*\b{key}\b", out), out


@pytest.mark.parametrize("key", sorted(CONNECTOR_KEYS))
def test_a_connectors_alias_list_is_checked_and_defaults_as_kafka_does(key, capsys):
    setting = lookup(key)
    definition = catalogue.load().keys("connector")[key]
    assert setting.parse(definition.default) == setting.default == ""
    assert setting.value_of(" a , b ") == "a,b"
    code = main(["check", *SINK, *FAST, "--set", f"{key}=a,b,a"])
    assert code == 2
    assert f"invalid value 'a,b,a' for {key}: Duplicate alias provided." in \
        capsys.readouterr().err


def test_offsets_topic_replication_factor_is_not_covered_by_the_transactions_loop(capsys):
    # The loop keeps its committed offsets in a __consumer_offsets partition with
    # replication.factor replicas, not offsets.topic.replication.factor.
    code, out = _check(capsys, TXN_LOOP, "offsets.topic.replication.factor", "1")
    assert code == EXIT_NOT_COVERED, out
    assert "NOT COVERED: offsets.topic.replication.factor=1" in out


# Catalogue keys whose names sound like durability or delivery semantics but that cannot
# change a modelled verdict; each with the reason.  A regenerated catalogue that adds such
# a key fails the test below until the key is registered or its reason written here.
HARMLESS_SEMANTIC_SOUNDING = {
    "commit.interval.ms": "Streams commit period: the model commits after every input; a "
                          "commit covering several inputs flushes the record cache first "
                          "(StreamTask.prepareCommit) and writes each key's last count, "
                          "which the Streams properties allow (they ask for no count per "
                          "input, only none above the inputs, none twice, none missing "
                          "under the committed offset)",
    "config.storage.replication.factor": "Connect config topic (connector and task configs): "
                                         "the source model runs one task with fixed configs",
    "default.interactive.query.isolation.level": "interactive queries (KIP-892) read stores; "
                                                 "no model has queries",
    "delete.retention.ms": "tombstone retention of compacted topics: compaction is itself "
                           "not covered (cleanup.policy)",
    "errors.deadletterqueue.topic.replication.factor": "sink DLQ replicas: the sink model's "
                                                       "DLQ writes land, broker faults are "
                                                       "not explored there",
    "flush.ms": "fsync by time: a power loss keeps any prefix from the last flush.messages "
                "fsync up (power_loss_keeps), which covers every earlier time-driven fsync",
    "group.streams.max.standby.replicas": "KIP-1071 streams groups only (group.protocol="
                                          "streams): no model runs them",
    "group.streams.num.standby.replicas": "KIP-1071 streams groups only (group.protocol="
                                          "streams): no model runs them",
    "local.retention.bytes": "tiered storage only: remote.storage.enable is not covered",
    "local.retention.ms": "tiered storage only: remote.storage.enable is not covered",
    "log.cleaner.delete.retention.ms": "compaction only: cleanup.policy=compact is not "
                                       "covered",
    "log.cleaner.max.compaction.lag.ms": "compaction only: cleanup.policy=compact is not "
                                         "covered",
    "log.cleaner.min.compaction.lag.ms": "compaction only: cleanup.policy=compact is not "
                                         "covered",
    "log.flush.interval.ms": "fsync by time: covered as flush.ms is (power_loss_keeps)",
    "log.flush.offset.checkpoint.interval.ms": "recovery-point checkpoint period: a "
                                               "restart recovers the log either way",
    "log.flush.scheduler.interval.ms": "how often flush.ms is checked: covered as flush.ms",
    "log.flush.start.offset.checkpoint.interval.ms": "log-start checkpoint period: "
                                                     "retention is the retention bound",
    "log.local.retention.bytes": "tiered storage only: remote.storage.enable is not covered",
    "log.local.retention.ms": "tiered storage only: remote.storage.enable is not covered",
    "log.retention.bytes": "retention is the group model's retention bound (any moment, "
                           "any amount), as retention.bytes",
    "log.retention.check.interval.ms": "retention timing: time is not modelled",
    "log.retention.minutes": "retention is the retention bound, as retention.ms",
    "log.retention.ms": "retention is the retention bound, as retention.ms",
    "max.compaction.lag.ms": "compaction only: cleanup.policy=compact is not covered",
    "metadata.max.retention.bytes": "metadata log snapshots delete only snapshotted records; "
                                    "loss of the metadata log is not modelled",
    "metadata.max.retention.ms": "metadata log snapshots delete only snapshotted records; "
                                 "loss of the metadata log is not modelled",
    "min.compaction.lag.ms": "compaction only: cleanup.policy=compact is not covered",
    "offset.flush.timeout.ms": "Connect offset flush timeout: a timed-out flush is retried "
                               "later; time is not modelled (any moment after the ack)",
    "offsets.commit.timeout.ms": "a commit timing out waiting for replication: time is not "
                                 "modelled, commit failures are explored at any moment",
    "offsets.retention.check.interval.ms": "offset expiry timing: the offset_expiries bound",
    "share.coordinator.state.topic.min.isr": "share groups (KIP-932) only: not modelled, "
                                             "and share.* consumer keys are not covered",
    "share.coordinator.state.topic.replication.factor": "share groups (KIP-932) only",
    "state.cleanup.delay.ms": "deletes state dirs of tasks no longer assigned: the store "
                              "is restored from its changelog",
    "state.cleanup.dir.max.age.ms": "deletes old state dirs: the store is restored from "
                                    "its changelog",
    "statestore.uncommitted.max.bytes": "only with enable.transactional.statestores, which "
                                        "is not covered",
    "status.storage.replication.factor": "Connect status topic: task statuses, read by "
                                         "nothing a model checks",
    "transaction.abort.timed.out.transaction.cleanup.interval.ms": "timeout check period: "
                                                                   "the timeouts bound "
                                                                   "aborts at any moment",
    "transaction.boundary.interval.ms": "only with transaction.boundary=interval, which is "
                                        "not covered",
    "transaction.remove.expired.transaction.cleanup.interval.ms": "transactional id expiry "
                                                                  "timing: not modelled",
    "transaction.state.log.load.buffer.size": "read buffer size of the coordinator's load",
    "transaction.state.log.num.partitions": "which partition holds a transactional id: the "
                                            "models have one coordinator partition",
    "transaction.state.log.segment.bytes": "segment size of a compacted internal topic",
    "unclean.leader.election.interval.ms": "how often unclean elections are tried: time is "
                                           "not modelled (unclean.leader.election.enable is)",
    "windowstore.changelog.additional.retention.ms": "windowed stores only; the Streams "
                                                     "model's store is a key-value count",
}

SEMANTIC_SOUNDING = re.compile(
    r"replication\.factor|min\.isr|retention|standby|isolation|transaction|idempot|acks|"
    r"commit|cleanup|compaction|unclean|flush|durab|remote\.storage")


def _catalogue_keys() -> set[str]:
    raw = json.loads((Path(catalogue.__file__).parent / "kafka-4.4.json").read_text())
    return {key for role in raw["roles"].values() for key in role["keys"]}


def test_every_unregistered_semantic_sounding_catalogue_key_has_a_written_reason():
    sounding = {k for k in _catalogue_keys() if lookup(k) is None and SEMANTIC_SOUNDING.search(k)}
    unexplained = sorted(sounding - set(HARMLESS_SEMANTIC_SOUNDING))
    assert not unexplained, f"register these with a role or give the reason: {unexplained}"
    # The allow-list holds catalogue keys that are still unregistered, nothing stale.
    assert set(HARMLESS_SEMANTIC_SOUNDING) == sounding
    assert all(reason.strip() for reason in HARMLESS_SEMANTIC_SOUNDING.values())


def test_the_audit9_keys_are_catalogue_keys_with_a_role():
    assert set(REGISTERED_BY_AUDIT9) <= _catalogue_keys()
    assert all(SETTINGS[k].semantics for k in REGISTERED_BY_AUDIT9)
