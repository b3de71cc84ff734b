"""Audit of --kafka-version: a release is checked with its own rules, defaults and keys.

Each test names a fix or default of one Kafka release (KIP, JIRA or class) and shows the
release before it: a setting that did not exist is refused (Kafka ignores an unknown key,
so the feature would not be in effect), a later fix is not applied to an older release,
and a default is the one that release shipped.
"""

from __future__ import annotations

import json
import re

import pytest

from kafkacheck import cli
from kafkacheck.config import UsageError, build_config, overridden_settings
from kafkacheck.explorer.bfs import breadth_first
from kafkacheck.model import versions
from kafkacheck.model.clients import txn_loop as tl
from kafkacheck.model.clients.producer import ProducerModel, effective_idempotence
from kafkacheck.model.clients.producer_partitioning import Partitioning
from kafkacheck.model.cluster import partition_txn as ptx
from kafkacheck.model.settings import default_for, render
from kafkacheck.testing import make_model

LOOP = {"instances": 2, "partitions": 1, "inputs": 1, "rebalances": 1}
EOS = {"transactional.id": "app", "isolation.level": "read_committed",
       "enable.auto.commit": "false"}  # the loop commits through its transactions


def names(trace):
    return [a[0] for a in trace.actions]


def test_no_idempotent_producer_before_0_11_kip_98(capsys):
    # Kafka 0.10 has no enable.idempotence: the key is ignored and retries duplicate, so a
    # HOLDS for NoDuplicates there would be a wrong green.
    argv = ["check", "producer", "--set", "enable.idempotence=true", "--set", "acks=all",
            "--set", "retries=3", "--bound", "records=1", "--property", "NoDuplicates"]
    assert cli.main([*argv, "--kafka-version", "0.10"]) == 2
    err = capsys.readouterr().err
    assert "enable.idempotence does not exist in Kafka 0.10 (KIP-98 arrived in 0.11" in err
    # 0.11 has it, but before 2.5 (KIP-360) an idempotent producer follows rules the model
    # does not have: not covered (exit 3), never a HOLDS from the 2.5 rules
    # (tests/test_producer_audit_s19.py).
    assert cli.main([*argv, "--kafka-version", "0.11", "--set",
                     "max.in.flight.requests.per.connection=1", "--no-diagram"]) == 3
    for key, value in (("transactional.id", "app"), ("isolation.level", "read_committed")):
        with pytest.raises(UsageError, match=f"{key} does not exist in Kafka 0.10"):
            make_model("producer", {key: value}, kafka_version="0.10")
    # a value that is what 0.10 does anyway changes nothing
    assert not make_model("producer", {"enable.idempotence": "false"},
                          kafka_version="0.10").idempotent


@pytest.mark.parametrize("settings,before,since", [
    ({"group.instance.id": "app"}, "2.2", "KIP-345 arrived in 2.3"),
    ({"group.protocol": "consumer"}, "3.6", "KIP-848 arrived in 3.7"),
    ({"partition.assignment.strategy": "cooperative-sticky"}, "2.3", "KIP-429 arrived in 2.4"),
    ({"partition.assignment.strategy": "range,sticky"}, "0.10", "KIP-54 arrived in 0.11"),
    ({"auto.offset.reset": "by_duration:PT1H"}, "3.9", "KIP-1106 arrived in 4.0"),
])
def test_group_features_do_not_exist_before_their_release(settings, before, since):
    with pytest.raises(UsageError, match=since):
        make_model("group", settings, kafka_version=before)


def test_a_dynamic_kraft_quorum_does_not_exist_before_3_9_kip_853():
    with pytest.raises(UsageError, match="KIP-853 arrived in 3.9"):
        make_model("controller", {"controller.quorum.bootstrap.servers": "c1:9093"},
                   kafka_version="3.8")


def test_the_producer_settings_of_later_releases_are_refused_before_them():
    for settings, before in (({"delivery.timeout.ms": "30000"}, "2.0"),
                             ({"partitioner.ignore.keys": "true"}, "3.2"),
                             ({"producer.id.expiration.ms": "60000"}, "3.3")):
        with pytest.raises(UsageError, match="does not exist in Kafka " + before):
            make_model("producer", settings, kafka_version=before)


@pytest.mark.parametrize("version,given,overridden", [
    ("2.0", {}, {"acks": ("1", "all"), "retries": ("0", "2147483647")}),
    ("2.8", {}, {"acks": ("1", "all")}),
    ("2.8", {"acks": "all"}, {}),
])
def test_before_3_2_enable_idempotence_overrides_unset_acks_and_retries(version, given,
                                                                        overridden):
    # ProducerConfig.maybeOverrideAcksAndRetries (KafkaProducer.configureAcks/Retries
    # before 2.8): an explicit enable.idempotence=true sets acks=all and retries=MAX_INT
    # when they are unset; Kafka refuses only an explicit conflicting value.
    settings = {"enable.idempotence": "true", **given}
    config = build_config(ProducerModel, settings=list(settings.items()),
                          kafka_version=version)
    enabled, _error, _note, applied = effective_idempotence(config)
    before = config.kafka_text()
    assert enabled and {k: (before[k], render(k, v)) for k, v in applied.items()
                        if render(k, v) != before[k]} == overridden
    model = make_model("producer", settings, kafka_version=version, records=2)
    if not versions.has_fix(version, "KAFKA-8710"):
        # Before 2.5 (KIP-360) an idempotent producer is not covered: it runs the release's
        # default and gives no verdict (tests/test_producer_audit_s19.py).
        assert dict(model.config.uncovered) == {"enable.idempotence": True}
        assert breadth_first(model, ["NoDuplicates"]).result == "incomplete"
        return
    assert model.idempotent and model.acks == -1 and model.retries == 2**31 - 1
    assert {k: v for k, v in overridden_settings(model).items() if k != "enable.idempotence"} \
        == overridden
    assert breadth_first(model, ["NoDuplicates"]).result == "holds"
    with pytest.raises(UsageError, match="Must set acks to all"):
        make_model("producer", {"enable.idempotence": "true", "acks": "1"},
                   kafka_version=version)


def test_in_0_11_an_idempotent_producer_has_one_request_in_flight_kafka_5494():
    # 0.11 KafkaProducer.configureInflightRequests: unset it becomes 1, set to another
    # value it is refused; up to 5 from 1.0 (KAFKA-5494).
    # (The producer model does not cover an idempotent producer before 2.5, KIP-360: the
    # setting ProducerConfig applies is checked on the configuration.)
    config = build_config(ProducerModel, settings=[("enable.idempotence", "true")],
                          kafka_version="0.11")
    assert effective_idempotence(config)[3]["max.in.flight.requests.per.connection"] == 1
    five = {"enable.idempotence": "true", "max.in.flight.requests.per.connection": "5"}
    with pytest.raises(UsageError, match="max.in.flight.requests.per.connection to 1"):
        make_model("producer", five, kafka_version="0.11")
    assert make_model("producer", five, kafka_version="1.0").max_in_flight == 5


def test_before_3_0_a_transactional_id_turns_idempotence_on():
    # ProducerConfig.maybeOverrideEnableIdempotence (KafkaProducer.configureTransactionState
    # before 2.8): transactional.id set and enable.idempotence unset -> idempotence on.
    model = make_model("transactions", EOS, kafka_version="2.8", **LOOP)
    assert model.transactional
    with pytest.raises(UsageError, match="without also enabling idempotence"):
        make_model("transactions", {**EOS, "enable.idempotence": "false"},
                   kafka_version="2.8", **LOOP)


def test_before_2_5_a_zombie_members_transactional_offsets_are_written_kip_447():
    # TxnOffsetCommit carries the member's generation from v3 (2.5, KIP-447); in 2.4
    # GroupCoordinator.handleTxnCommitOffsets has no generation to check, so a loop with
    # a transactional.id per member is not fenced by the rebalance.
    old = make_model("transactions", EOS, kafka_version="2.4", **LOOP)
    violation = breadth_first(old, ["ZombieOffsetsFenced"]).violation("ZombieOffsetsFenced")
    assert names(violation.trace) == ["FetchOffset", "Poll", "AddPartitions",
                                      "TxnLogCommitted", "Rebalance", "SendOffsets"]
    offsets = ptx.Entry(0, 0, 0, 0, 0, False, transactional=True)
    assert not old.commit_checks_generation(offsets)
    assert old.commit_checks_generation(offsets._replace(transactional=False))  # OffsetCommit
    new = make_model("transactions", EOS, kafka_version="2.5", **LOOP)
    assert new.commit_checks_generation(offsets)


def test_before_2_5_offset_fetch_does_not_wait_for_pending_offsets_kip_447(monkeypatch):
    # OffsetFetch require_stable arrived with OffsetFetchRequest v7 (2.5, KIP-447).
    monkeypatch.setattr(tl, "pending_offsets", lambda log, codec: True)
    assert make_model("transactions", EOS, kafka_version="2.5", **LOOP).offset_fetch_waits(())
    assert not make_model("transactions", EOS, kafka_version="2.4",
                          **LOOP).offset_fetch_waits(())


@pytest.mark.parametrize("name,values", [
    ("partition.assignment.strategy", {"2.8": ("range",), "3.0": ("range",
                                                                  "cooperative-sticky")}),
    ("offsets.retention.minutes", {"1.1": 1440, "2.0": 10080}),
    ("replica.lag.time.max.ms", {"2.4": 10000, "2.5": 30000}),
])
def test_defaults_are_those_of_the_release(name, values):
    # KAFKA-13023 (3.0), KIP-186 (2.0), KIP-537 (2.5).
    for version, value in values.items():
        assert default_for(name, versions.parse(version)) == value


@pytest.mark.parametrize("text,version", [("4.4.0", (4, 4)), ("2.8.2", (2, 8)),
                                          ("0.10.2.1", (0, 10)), ("0.10.1", (0, 10))])
def test_patch_releases_parse_as_their_release(text, version):
    assert versions.parse(text) == version


@pytest.mark.parametrize("text,message", [
    ("3.10", "unknown Kafka version"),      # not 3.1
    ("3.6.1.2", "invalid Kafka version"),   # four numbers only before 1.0
    ("\uff13.\uff16", "invalid Kafka version"),  # full-width digits are not a release
    ("0.10.0", "0.10.0 had the consumer defaults"),  # KIP-62 came in 0.10.1
    ("0.10.0.1", "before KIP-62"),
])
def test_release_numbers_that_name_no_modelled_release_are_refused(text, message):
    with pytest.raises(UsageError, match=message):
        make_model("replication", {}, kafka_version=text)


def test_before_2_5_a_failed_batch_does_not_bump_the_producer_epoch_kafka_8805():
    # TransactionManager gained epochBumpRequired / canBumpEpoch in 2.5 (KAFKA-8805,
    # KAFKA-8710, KIP-360); in 2.4 an expired batch is an abortable error, epoch kept.
    bounds = {"instances": 1, "partitions": 1, "transactions": 2, "expiries": 1,
              "late_produces": 1}
    traces = {}
    for version in ("2.4", "2.5"):
        model = make_model("transactions", EOS, kafka_version=version, **bounds)
        result = breadth_first(model, ["NoAbortedRead"])
        traces[version] = [" ".join(map(str, a)) for a in
                           result.violation("NoAbortedRead").trace.actions]
    assert type(make_model("transactions", EOS, kafka_version="2.4",
                           **bounds).protocol).__name__ == "NoClientEpochBump"
    assert not any("bump" in a for a in traces["2.4"])
    assert any(a.startswith("InitProducerId P0 bump e0") for a in traces["2.5"])


def test_from_3_2_to_3_9_six_in_flight_turn_a_defaulted_idempotence_off_kafka_13673():
    # ProducerConfig 3.2-3.9 logs "Idempotence will be disabled because
    # max.in.flight.requests.per.connection is set to 6"; 4.0 refuses it (KAFKA-17927).
    six = {"max.in.flight.requests.per.connection": "6"}
    model = make_model("producer", six, kafka_version="3.9", records=1)
    assert not model.idempotent and "greater than 5" in model.idempotence_note
    assert breadth_first(model, ["NoDuplicates"]).violation("NoDuplicates") is not None
    with pytest.raises(UsageError, match="at most 5"):
        make_model("producer", six, kafka_version="4.0")
    with pytest.raises(UsageError, match="at most 5"):
        make_model("producer", {**six, "enable.idempotence": "true"}, kafka_version="3.9")


@pytest.mark.parametrize("version,rules", [
    ("4.0", "before KAFKA-19974, KAFKA-19449 and KAFKA-19233"),
    ("4.1", "before KAFKA-19974, KAFKA-19449 and KAFKA-19233"),
    ("4.2", "4.4"), ("4.3", "4.4"), ("4.4", "4.4"),
])
def test_a_kip_848_group_is_checked_with_the_coordinator_of_its_release(version, rules):
    # KAFKA-19449, KAFKA-19974 and KAFKA-19233 (4.2) changed the coordinator's
    # reconciliation; a 4.0 check must not get the fixes of later releases.
    from kafkacheck.model.clients import group_consumer as gc

    model = make_model("group-consumer", {}, kafka_version=version)
    record = gc.Record._make([0] * len(gc.Record._fields))._replace(epoch=3, previous=2)
    old_epoch_bump = model.rules.epoch_after_revocation(record) == 4        # KAFKA-19974
    old_unreleased = model.rules.unreleased(0, record._replace(revoking=1), (5,))  # 19449
    old_rejoin_fenced = model.rules.rejoin_is_fenced(record)                 # KAFKA-19233
    old = {"KAFKA-19974": old_epoch_bump, "KAFKA-19449": old_unreleased,
           "KAFKA-19233": old_rejoin_fenced}
    assert {jira for jira, before in old.items() if before} == \
        {j for j in ("KAFKA-19974", "KAFKA-19449", "KAFKA-19233") if j in rules}


# -- partitioners, patch releases, feature levels and the KIP-848 commit check ----------

ROUND_ROBIN = "org.apache.kafka.clients.producer.RoundRobinPartitioner"
DEFAULT_PARTITIONER = "org.apache.kafka.clients.producer.internals.DefaultPartitioner"
# No partition ever holds records of two batches: PartitionOrder rests on this witness.
NO_SHARED_PARTITION = ("not checked: PartitionOrder: vacuous in this run: "
                       "SomePartitionHoldsTwoBatches is never reached")
KEYLESS_ORDER = ["check", "producer", "--set", "enable.idempotence=false", "--bound",
                 "partitions=2", "--property", "PartitionOrder", "--no-diagram"]


def first_partitions(release: str, partitioner: str | None) -> set[int]:
    """Where the first keyless record of a fresh producer can go (two partitions)."""
    part = Partitioning(2, 16384, partitioner, False, -1, release)
    return {p.partition for p in part.place(-1, part.initial_state(), ((), ()), (0, 1))}


def test_round_robin_partitioner_skips_a_partition_on_each_new_batch_until_kafka_17632(
        capsys):
    # Before KAFKA-17632 (4.0; 3.9.2) doSend calls partition() again after abortOnNewBatch,
    # so the first record, which opens a batch, takes counter value 1: p1, not p0.
    assert first_partitions("3.8", ROUND_ROBIN) == {1}
    assert first_partitions("3.9.2", ROUND_ROBIN) == first_partitions("4.0", ROUND_ROBIN) == {0}
    argv = [*KEYLESS_ORDER, "--set", f"partitioner.class={ROUND_ROBIN}"]
    assert cli.main([*argv, "--kafka-version", "3.9"]) == 1
    capsys.readouterr()
    # With the fix the two records alternate and never share a partition, so PartitionOrder
    # cannot fail: not checked, exit 3 (it was HOLDS, exit 0, before audit s21).
    for release in ("3.9.2", "4.0"):
        assert cli.main([*argv, "--kafka-version", release]) == 3
        assert NO_SHARED_PARTITION in capsys.readouterr().out


@pytest.mark.parametrize("value,release,message", [
    (DEFAULT_PARTITIONER, "4.0", "removed in 4.0 by KAFKA-18262"),
    ("UniformStickyPartitioner", "4.0", "removed in 4.0 by KAFKA-18262"),
    (ROUND_ROBIN, "2.3", "KAFKA-3333 arrived in 2.4"),
    ("UniformStickyPartitioner", "2.3", "KIP-480 arrived in 2.4"),
])
def test_a_partitioner_class_exists_only_in_the_releases_that_ship_it(value, release,
                                                                       message):
    with pytest.raises(UsageError, match=message):
        make_model("producer", {"partitioner.class": value}, kafka_version=release)


def test_before_3_3_the_default_partitioner_is_default_partitioner_kip_794(capsys):
    assert default_for("partitioner.class", (3, 2)) == DEFAULT_PARTITIONER
    assert default_for("partitioner.class", (3, 3)) is None
    # 2.4-3.2: KIP-480's sticky cache moves to the other partition with each new batch, so
    # the two keyless records' batches never share a partition and cannot reorder:
    # PartitionOrder is not checked, exit 3 (it was HOLDS, exit 0, before audit s21); 3.3's
    # built-in partitioner can put both on one partition, and they reorder.
    assert cli.main([*KEYLESS_ORDER, "--kafka-version", "3.2"]) == 3
    assert NO_SHARED_PARTITION in capsys.readouterr().out
    assert cli.main([*KEYLESS_ORDER, "--kafka-version", "3.3"]) == 1
    capsys.readouterr()
    # 2.3 and before: a counter from ThreadLocalRandom.nextInt(), one value per record.
    assert make_model("producer", {}, kafka_version="2.3").config.kafka[
        "partitioner.class"] == DEFAULT_PARTITIONER
    assert first_partitions("2.3", DEFAULT_PARTITIONER) == {0, 1}
    part = Partitioning(2, 16384, DEFAULT_PARTITIONER, False, -1, "2.3")
    first = part.place(-1, part.initial_state(), ((), ()), (0, 1))[0]
    deques = tuple(((1, False),) if p == first.partition else () for p in range(2))
    assert {p.partition for p in part.place(-1, first.partitioner, deques, (0, 1))} == \
        {1 - first.partition}


@pytest.mark.parametrize("release,idempotent", [
    ("3.0", False), ("3.0.1", True), ("3.1", False), ("3.1.1", True), ("3.1.2", True),
])
def test_patch_releases_with_kafka_13598_turn_idempotence_on_by_default(release, idempotent):
    # ProducerConfig.postProcessAndValidateIdempotenceConfigs reached 3.0.1 and 3.1.1.
    assert versions.has_fix(release, "KAFKA-13598") is idempotent
    assert make_model("producer", {}, kafka_version=release).idempotent is idempotent


@pytest.mark.parametrize("release,verdict", [("4.0", 1), ("4.2", 1), ("4.3", 0)])
def test_before_kip_1251_a_commit_at_a_just_bumped_member_epoch_is_fenced(release, verdict,
                                                                         capsys):
    # C2 joins, the coordinator bumps C1 to a new epoch, C1 commits a processed record at
    # the epoch it knows: 4.0-4.2 answer STALE_MEMBER_EPOCH (CommitFailedException), C1
    # closes without a commit, and C2 processes the record again.  KIP-1251 (4.3) accepts
    # the commit: the partition was assigned to C1 at that epoch.
    argv = ["check", "group-consumer", "--kafka-version", release, "--bound", "records=1",
            "--bound", "partitions=1", "--set", "enable.auto.commit=false", "--set",
            "auto.offset.reset=earliest", "--bound", "commit=sync-after-processing",
            "--bound", "closes=1", "--property", "AtMostOnce", "--no-diagram"]
    assert cli.main(argv) == verdict
    out = capsys.readouterr().out
    fenced = re.search(r"CommitFailed\(C\d, STALE_MEMBER_EPOCH\)", out) is not None
    assert fenced is (verdict == 1)


def test_a_feature_level_at_its_release_default_names_the_upgraded_cluster_case():
    # transaction.version 2 (KIP-890) and ELR (KIP-966) are set when a cluster is
    # formatted: one upgraded from an older release keeps level 0.
    txn = make_model("transactions", {"transactional.id": "app"})
    assert any("transaction.version=2 assumed as Kafka 4.4's default for clusters "
               "formatted by 4.0 or later" in n and "--set transaction.version=0" in n
               for n in txn.notes())
    explicit = make_model("transactions", {"transactional.id": "app",
                                           "transaction.version": "2"})
    assert not any("assumed" in n for n in explicit.notes())


@pytest.mark.parametrize("value,release,message", [
    ("exactly_once", "4.0", "removed in 4.0 by KAFKA-12689"),
    ("exactly_once_beta", "4.4", "removed in 4.0 by KAFKA-12689"),
    ("exactly_once_beta", "2.5", "KIP-447 arrived in 2.6"),
    ("exactly_once", "0.10", "KIP-129 arrived in 0.11"),
])
def test_older_streams_guarantees_exist_only_in_their_releases(value, release, message):
    with pytest.raises(UsageError, match=message):
        make_model("streams", {"processing.guarantee": value}, kafka_version=release)


def test_an_older_streams_guarantee_is_a_valid_value_the_model_does_not_cover(capsys):
    # 3.4 accepts exactly_once_beta (the 4.4 catalogue's validator refused it, exit 2); the
    # model has exactly_once_v2 and at_least_once only, so no verdict is given.
    assert cli.main(["check", "streams", "--kafka-version", "3.4", "--set",
                     "processing.guarantee=exactly_once_beta", "--no-diagram"]) == 3
    assert "NOT COVERED: processing.guarantee=exactly_once_beta (value not modelled)" in \
        capsys.readouterr().out


def test_a_2_3_keyless_counter_starts_anywhere_modulo_partitions_added_later():
    # The random start was drawn modulo the counts up to the partitions of the first send:
    # one send on 1 partition, then one on 2 (CreatePartitions) could not give (p0, p0).
    from kafkacheck.model.algorithms.partitioners import (
        DefaultPartitionerBefore24,
        TopicView,
        enumerate_draws,
    )

    plugin = DefaultPartitionerBefore24(most_partitions=2)

    def two_sends(draw):
        state, first = plugin.partition(plugin.initial_state(), "t", None, TopicView(1), draw)
        _, second = plugin.partition(state, "t", None, TopicView(2), draw)
        return first, second

    assert {pair for _, pair in enumerate_draws(two_sends)} == {(0, 0), (0, 1)}


def test_flush_messages_zero_is_valid_before_3_3_and_flushes_every_append(capsys):
    # LogConfig took atLeast(0) until KAFKA-12613 (3.3); 0 flushes every append, as 1 does.
    argv = ["check", "replication", "--kafka-version", "3.2", "--set", "replication.factor=3",
            "--set", "min.insync.replicas=2", "--bound", "crash_kind=power-loss",
            "--no-diagram", "--json"]
    summaries = []
    for value in ("0", "1"):
        assert cli.main([*argv, "--set", f"flush.messages={value}"]) == 0
        data = json.loads(capsys.readouterr().out)
        summaries.append((data["distinct_states"], data["result"]))
    assert summaries[0] == summaries[1]
    with pytest.raises(UsageError, match="removed in 3.3 by KAFKA-12613"):
        make_model("replication", {"flush.messages": "0"}, kafka_version="3.3")


def test_a_broker_default_offsets_replication_factor_exists_from_2_6_kip_605():
    with pytest.raises(UsageError, match="KIP-605 arrived in 2.6"):
        make_model("source", {"offset.storage.replication.factor": "-1"}, kafka_version="2.5")


@pytest.mark.parametrize("release", ["2.0", "4.1", "4.4"])
def test_an_empty_cleanup_policy_is_kafka_s_in_every_release_and_no_model_covers_it(
        capsys, release):
    # An empty list keeps every segment (neither delete nor compact); ConfigDef.ValidList
    # accepts it in every release (it was refused before 4.2 here, as if KIP-1161 made it).
    assert cli.main(["check", "replication", "--set", "cleanup.policy=", "--no-diagram",
                     "--kafka-version", release]) == 3
    assert "NOT COVERED: cleanup.policy=" in capsys.readouterr().out


@pytest.mark.parametrize("key,value,first", [
    ("controller.quorum.auto.join.enable", True, (4, 2)),
    ("transaction.two.phase.commit.enable", True, (4, 1)),
    ("share.acknowledgement.mode", "explicit", (4, 1)),
    ("share.acquire.mode", "record_limit", (4, 2)),
    ("enable.transactional.statestores", True, (4, 4)),
    ("production.exception.handler", "com.example.Continue", (4, 0)),
    ("deserialization.exception.handler", "com.example.Skip", (4, 0)),
])
def test_a_key_is_refused_in_the_releases_before_kafka_defined_it(key, value, first):
    # Each key's first release, read in the ConfigDefs of Maven Central's jars (3.9.0 to
    # 4.4.0): an earlier release ignores the key, so a value given there changes nothing.
    from kafkacheck.model import settings

    before = (first[0], first[1] - 1) if first[1] else (3, 9)
    assert settings.absent_in(key, value, before).startswith(f"{key} does not exist in Kafka")
    assert settings.absent_in(key, value, first) is None
