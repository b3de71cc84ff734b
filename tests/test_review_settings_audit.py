"""`kafkacheck review` passes on every setting its models read (settings audit, s20).

Findings 1, 2, 4, 6 and 7 of the settings-coverage audit: a broker's
group.consumer.assignors dropped, a topic's replication.factor=-1 read as RF 1, a bare acks
of a Streams file ignored, a fix candidate the model does not cover called out of time, and
process.roles read from a controller-only node.  Each test states what review must do;
the files are the auditor's repro files (/tmp/settings), written here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kafkacheck import review
from kafkacheck.model import versions

# The auditor's repro files.
C848 = ("key.deserializer=x\nvalue.deserializer=y\ngroup.id=g\ngroup.protocol=consumer\n"
        "auto.offset.reset=earliest\n")
B848B = ("process.roles=broker\nnode.id=1\ncontroller.quorum.voters=1@c:9093\n"
         "group.consumer.assignors=range\ncontroller.listener.names=CONTROLLER\n"
         "min.insync.replicas=2\ndefault.replication.factor=3\n")
T1 = "replication.factor=3\nmin.insync.replicas=2\n"
B1 = ("process.roles=broker\nnode.id=1\ncontroller.quorum.voters=1@c:9093\n"
      "default.replication.factor=3\nmin.insync.replicas=2\n"
      "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n"
      "controller.listener.names=CONTROLLER\n")
P_1R0 = "key.serializer=x\nvalue.serializer=y\nacks=1\nretries=0\n"
P_ALL = "key.serializer=x\nvalue.serializer=y\nacks=all\n"
T_RFM1F = "replication.factor=-1\nflush.messages=1\n"
S_BARE = "application.id=app\nbootstrap.servers=x:9092\nacks=1\n"
P1 = ("bootstrap.servers=localhost:9092\n"
      "key.serializer=org.apache.kafka.common.serialization.StringSerializer\n"
      "value.serializer=org.apache.kafka.common.serialization.StringSerializer\nacks=1\n")
CTL = ("process.roles=controller\nnode.id=100\ncontroller.quorum.voters=100@c:9093\n"
       "controller.listener.names=CONTROLLER\n")
BRK = ("process.roles=broker\nnode.id=1\ncontroller.quorum.voters=100@c:9093\n"
       "controller.listener.names=CONTROLLER\n")
REPLICATION_KEYS = ("acked-writes-survive-crash", "acked-writes-survive-elections",
                    "acked-writes-survive-power-loss")


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _plan(tmp_path: Path, files: dict[str, str], release: str = "4.4"):
    """Plan a review of these files ({spec: text}; a spec ROLE:NAME names the role)."""
    specs = []
    for spec, text in files.items():
        role, _, name = spec.rpartition(":")
        path = _write(tmp_path, name, text)
        specs.append(f"{role}:{path}" if role else path)
    return review.plan(review.load_files(specs, release), versions.parse(release), release)


def _guarantee(guarantees, key):
    return next(g for g in guarantees if g.key == key)


def _verdict(g, release: str = "4.4", seconds: float = 60.0) -> str:
    g.result = review._run_check(g, g.settings, seconds, release)
    return review._verdict(g.result)[0]


# -- finding 1: the broker's group.consumer.assignors -------------------------------------


def test_a_kip848_group_is_checked_with_the_server_assignor_the_broker_file_names(tmp_path):
    # GroupMetadataManager: defaultConsumerGroupAssignor = consumerGroupAssignors.get(0),
    # used when the member names no group.remote.assignor.  With range first the model
    # finds two owners after a crash and restart (as `check group-consumer --set
    # group.consumer.assignors=range` does); review checked uniform,range and said HOLDS.
    guarantees, _ = _plan(tmp_path, {"c848.properties": C848,
                                     "broker:b848b.properties": B848B,
                                     "topic:t1.properties": T1})
    for key in ("consumer-at-least-once", "one-owner"):
        g = _guarantee(guarantees, key)
        assert g.settings["group.consumer.assignors"] == "range"
        assert g.verdict == ""  # planned to run, not decided by the plan
    assert _verdict(_guarantee(guarantees, "one-owner")) == review.VIOLATED


def test_a_key_the_model_reads_that_review_does_not_pass_on_is_not_covered(tmp_path,
                                                                           monkeypatch):
    # The structural half of finding 1: were review to forget a broker key again (here
    # group.consumer.assignors taken out of what it passes on), the guarantees whose model
    # reads it are not covered, named with the file and the value checked instead.
    monkeypatch.setitem(review.GROUP_BROKER_KEYS, "group-consumer", tuple(
        k for k in review.GROUP_BROKER_KEYS["group-consumer"]
        if k != "group.consumer.assignors"))
    guarantees, _ = _plan(tmp_path, {"c848.properties": C848,
                                     "broker:b848b.properties": B848B})
    for key in ("consumer-at-least-once", "one-owner"):
        g = _guarantee(guarantees, key)
        assert "group.consumer.assignors" not in g.settings
        assert g.verdict == review.NOT_COVERED
        assert g.reason == ("group.consumer.assignors=range in b848b.properties: the "
                            "group-consumer model reads it, but review checked Kafka's "
                            "default (review does not pass this file's value on here)")


def test_broker_files_that_give_a_group_key_different_values_leave_the_group_not_covered(
        tmp_path):
    # Review passes the first broker's value on; the coordinator may be on the other broker,
    # so the second file's value is named, never dropped.
    guarantees, _ = _plan(tmp_path, {"c848.properties": C848,
                                     "broker:b848b.properties": B848B,
                                     "broker:b2.properties": B848B.replace(
                                         "assignors=range", "assignors=uniform")})
    g = _guarantee(guarantees, "one-owner")
    assert g.verdict == review.NOT_COVERED
    assert g.reason == ("group.consumer.assignors=uniform in b2.properties: the "
                        "group-consumer model reads it, but review checked the value range "
                        "(review does not pass this file's value on here)")


def test_the_classic_group_gets_the_brokers_initial_rebalance_delay(tmp_path):
    # group.initial.rebalance.delay.ms is a broker key the group model reads: passed on.
    consumer = C848.replace("group.protocol=consumer\n", "")
    guarantees, _ = _plan(tmp_path, {"c.properties": consumer,
                                     "broker:b.properties": "group.initial.rebalance.delay.ms=0\n"
                                                            "process.roles=broker\n"})
    for key in ("consumer-at-least-once", "one-owner"):
        g = _guarantee(guarantees, key)
        assert g.model == "group"
        assert g.settings["group.initial.rebalance.delay.ms"] == "0"
        assert g.verdict == ""


def test_kafka_precedence_and_same_named_broker_keys_are_not_called_dropped(tmp_path):
    # A topic's min.insync.replicas wins over the broker's (LogConfig.fromProps); a broker's
    # request.timeout.ms is the broker's own client timeout, not the producer's; the
    # classic group model reads replication settings only with log=replicated.
    broker = "process.roles=broker\nmin.insync.replicas=1\nrequest.timeout.ms=1000\n"
    guarantees, _ = _plan(tmp_path, {"p.properties": P_ALL, "topic:t1.properties": T1,
                                     "broker:b.properties": broker,
                                     "c.properties": C848.replace(
                                         "group.protocol=consumer\n", "")})
    assert [g.key for g in guarantees if g.verdict] == []
    producer = _guarantee(guarantees, "producer-exactly-once-order")
    assert producer.settings["min.insync.replicas"] == "2"
    assert producer.settings["process.roles"] == "broker"
    assert "request.timeout.ms" not in producer.settings


def test_the_producer_guarantee_gets_the_topics_flush_messages(tmp_path):
    # The producer model embeds the replication model and reads flush.messages.
    guarantees, _ = _plan(tmp_path, {"p.properties": P_ALL,
                                     "topic:t.properties": T1 + "flush.messages=1\n"})
    producer = _guarantee(guarantees, "producer-exactly-once-order")
    assert producer.settings["flush.messages"] == "1"
    assert producer.verdict == ""


# -- finding 2: replication.factor=-1 is the broker's default.replication.factor ----------


C1 = ("process.roles=controller\nnode.id=9\ncontroller.quorum.voters=9@c:9093\n"
      "controller.listener.names=CONTROLLER\ndefault.replication.factor=3\n")


@pytest.mark.parametrize("nodes,whose", [
    ({"broker:b1.properties": B1, "broker:c1.properties": C1}, "the controllers'"),
    ({"broker:b1.properties": B1.replace("process.roles=broker", "process.roles=broker,"
                                         "controller")}, "the broker's")])
def test_topic_replication_factor_minus_one_is_the_controllers_default_replication_factor(
        tmp_path, nodes, whose):
    # KIP-464 (2.4): ReplicationControlManager.createTopic uses the controller's
    # defaultReplicationFactor for -1 (ControllerServer: its own file; brokers forward
    # CreateTopics), a combined node's file being both.  Three replicas and acks=1: a
    # leader crash loses an acknowledged write.  (The topic sets min.insync.replicas: with
    # ELR on, a broker file's is not the cluster's.)
    guarantees, _ = _plan(tmp_path, {"p_1r0.properties": P_1R0,
                                     "topic:t_rfm1f.properties": T_RFM1F
                                     + "min.insync.replicas=2\n", **nodes})
    for key in (*REPLICATION_KEYS, "deposed-leader", "producer-exactly-once-order"):
        g = _guarantee(guarantees, key)
        assert g.verdict == "", g.reason
        if key != "deposed-leader":
            assert g.settings["replication.factor"] == "3"
    for key in (*REPLICATION_KEYS, "deposed-leader"):
        g = _guarantee(guarantees, key)
        assert (f"replication.factor=3 from {whose} default.replication.factor (the "
                "topic file's replication.factor=-1 asks for it, KIP-464)") in g.assumptions
        assert not any("replication.factor not given" in a for a in g.assumptions)
    crash = _guarantee(guarantees, "acked-writes-survive-crash")
    assert _verdict(crash) == review.VIOLATED
    assert ("acks", "all") in crash.candidates


def test_a_dedicated_brokers_default_replication_factor_is_not_the_clusters(tmp_path):
    # Was 4 HOLDS with RF 3 from the broker file (session 31's controller review): beside
    # dedicated controllers a topic created without a replication factor gets the
    # controllers' default.replication.factor (1 unless their file says otherwise).
    guarantees, not_covered = _plan(tmp_path, {"topic:t_rfm1f.properties": T_RFM1F
                                               + "min.insync.replicas=2\n",
                                               "broker:b1.properties": B1})
    assert not any(g.key.startswith("acked-writes") for g in guarantees)
    assert any("default.replication.factor=3 comes from the broker files only: with "
               "dedicated KRaft controllers the active controller fills in the replication "
               "factor of a topic created without one" in why for _what, why in not_covered)
    # The controllers' file without the key: Kafka's default, one replica.
    guarantees, _ = _plan(tmp_path, {"topic:t_rfm1f.properties": T_RFM1F
                                     + "min.insync.replicas=2\n",
                                     "broker:b1.properties": B1,
                                     "broker:c1.properties": C1.replace(
                                         "default.replication.factor=3\n", "")})
    power = _guarantee(guarantees, "acked-writes-survive-power-loss")
    assert "replication.factor" not in power.settings  # the model's default, one replica
    assert any("asks for the controllers' default.replication.factor, which no controller "
               "file gives" in a for a in power.assumptions)


def test_replication_factor_minus_one_without_a_broker_file_says_what_is_assumed(tmp_path):
    guarantees, _ = _plan(tmp_path, {"p_1r0.properties": P_1R0,
                                     "topic:t_rfm1f.properties": T_RFM1F})
    crash = _guarantee(guarantees, "acked-writes-survive-crash")
    assert "replication.factor" not in crash.settings
    assert ("replication.factor=-1 in the topic file asks for the broker's "
            "default.replication.factor, which no broker file gives: Kafka's default "
            "(default.replication.factor=1) assumed; give the broker's file"
            ) in crash.assumptions


def test_replication_factor_minus_one_with_broker_files_that_disagree_is_not_covered(
        tmp_path):
    # Combined nodes: the active controller's file applies, and which is active is not
    # fixed (dedicated brokers' files: test_a_dedicated_brokers_default_...).
    combined = B1.replace("process.roles=broker", "process.roles=broker,controller")
    guarantees, not_covered = _plan(tmp_path, {
        "p_1r0.properties": P_1R0, "topic:t_rfm1f.properties": T_RFM1F,
        "broker:b1.properties": combined,
        "broker:b2.properties": combined.replace("default.replication.factor=3",
                                           "default.replication.factor=1")})
    assert not [g for g in guarantees if g.model in ("replication", "controller")]
    assert ("acknowledged writes survive crashes",
            "default.replication.factor differs between the broker files (b1.properties: 3, "
            "b2.properties: 1): each broker applies its own; give them one value, or set "
            "replication.factor on the topic") in not_covered


# -- finding 4: a bare acks in a Streams file ----------------------------------------------


def test_a_bare_acks_in_a_streams_file_reaches_its_producer(tmp_path):
    # StreamsConfig.getClientPropsWithPrefix: clientProps(ProducerConfig.configNames(),
    # originals()) then originalsWithPrefix("producer."): a bare acks reaches the producer.
    guarantees, _ = _plan(tmp_path, {"s_bare.properties": S_BARE,
                                     "topic:t1.properties": T1})
    for key in REPLICATION_KEYS:
        g = _guarantee(guarantees, key)
        assert g.settings["acks"] == "1"
        assert ("acks=1 from s_bare.properties: acks of a streams file (StreamsConfig "
                "passes a bare producer key to its producer)") in g.assumptions
    assert _verdict(_guarantee(guarantees, "acked-writes-survive-crash")) == review.VIOLATED


def test_a_prefixed_producer_acks_wins_over_the_bare_one_in_a_streams_file(tmp_path):
    guarantees, _ = _plan(tmp_path, {"s.properties": S_BARE + "producer.acks=all\n",
                                     "topic:t1.properties": T1})
    for key in REPLICATION_KEYS:
        assert _guarantee(guarantees, key).settings["acks"] == "all"


def test_a_bare_acks_in_a_connect_worker_file_does_not_reach_its_producer(tmp_path):
    # Worker.baseProducerConfigs: acks=all, then the worker's producer.* only.
    worker = ("bootstrap.servers=x:9092\ngroup.id=connect\nkey.converter=x\n"
              "value.converter=y\nconfig.storage.topic=c\noffset.storage.topic=o\n"
              "status.storage.topic=s\nacks=1\n")
    guarantees, _ = _plan(tmp_path, {"connect-worker:w.properties": worker,
                                     "topic:t1.properties": T1})
    for key in REPLICATION_KEYS:
        assert _guarantee(guarantees, key).settings["acks"] == "all"


# -- finding 6: a fix candidate the model does not cover ----------------------------------


@pytest.mark.thorough  # slow (session 32's 10-minute budget)
def test_a_fix_candidate_the_model_does_not_cover_is_named_so_not_as_out_of_time(tmp_path):
    # Kafka 2.4.1: an idempotent producer is not modelled before KIP-360 (2.5), so the
    # re-check with enable.idempotence=true is not covered at once; more time would not
    # decide it.
    guarantees, _ = _plan(tmp_path, {"p1.properties": P1, "topic:t1.properties": T1},
                          "2.4.1")
    g = _guarantee(guarantees, "producer-exactly-once-order")
    g.verdict = _verdict(g, "2.4.1")
    assert g.verdict == review.VIOLATED
    review._search_fix(g, review.time.monotonic() + 60.0, 1, "2.4.1")
    assert g.fix is None and g.undecided == [] and not g.fix_search_cut
    assert [combo for combo, _why in g.uncovered_fixes] == [
        [("acks", "all"), ("enable.idempotence", "true")]]
    why = g.uncovered_fixes[0][1]
    assert why.startswith("the model does not cover enable.idempotence=true (value not "
                          "modelled)")
    lines = review.text(review.Review([], [g], [], 60.0)).splitlines()
    assert f"    fix: none found among {g.fix_searched} candidate change(s)" in lines
    assert ("    not covered: acks=all in the producer configuration and "
            "enable.idempotence=true in the producer configuration (its re-check: "
            f"{why})") in lines
    assert not [line for line in lines if "undecided" in line or "time budget" in line]


# -- finding 7: process.roles from the brokers ---------------------------------------------


def test_process_roles_comes_from_the_broker_file_not_a_controller_only_one(tmp_path):
    # A controller-only node (process.roles=controller) runs no broker: the brokers are
    # dedicated ones (process.roles=broker), which the controller model checks.
    from kafkacheck.config import build_config
    from kafkacheck.model import registry

    guarantees, not_covered = _plan(tmp_path, {
        "p_all.properties": P_ALL, "topic:t1.properties": T1,
        "ctl.properties": CTL, "brk.properties": BRK})
    note = ("process.roles=broker from the broker file brk.properties; ctl.properties "
            "(process.roles=controller) is a controller-only node, not a broker")
    for key in (*REPLICATION_KEYS, "deposed-leader"):
        g = _guarantee(guarantees, key)
        assert g.verdict == "", g.reason
        assert g.settings["process.roles"] == "broker"
        assert note in g.assumptions
    assert _guarantee(guarantees, "producer-exactly-once-order").settings[
        "process.roles"] == "broker"
    assert not not_covered
    deposed = _guarantee(guarantees, "deposed-leader")
    cls = registry.model_class("controller")
    config = build_config(cls, settings=list(deposed.settings.items()),
                          bounds=[(k, str(v)) for k, v in deposed.bounds.items()])
    assert cls.validate_config(config) is None


def test_only_controller_files_mean_dedicated_brokers(tmp_path):
    guarantees, _ = _plan(tmp_path, {"p_all.properties": P_ALL, "topic:t1.properties": T1,
                                     "ctl.properties": CTL})
    for key in (*REPLICATION_KEYS, "deposed-leader"):
        g = _guarantee(guarantees, key)
        assert g.settings["process.roles"] == "broker"
        assert ("process.roles=broker assumed for the brokers: only controller-only files "
                "give process.roles (ctl.properties: controller)") in g.assumptions


def test_broker_files_that_disagree_on_process_roles_are_named(tmp_path):
    # The controller model runs every broker node alike: combined and broker-only nodes
    # together are not covered, and said.  The replication model reads process.roles only
    # as KRaft (any value naming broker), so its guarantees still run.
    guarantees, not_covered = _plan(tmp_path, {
        "p_all.properties": P_ALL, "topic:t1.properties": T1, "brk.properties": BRK,
        "both.properties": BRK.replace("process.roles=broker",
                                       "process.roles=broker,controller")})
    assert "deposed-leader" not in [g.key for g in guarantees]
    assert ("A leader cut off from the controller (a network partition) loses no "
            "acknowledged write",
            "process.roles differs between the broker files (brk.properties: broker, "
            "both.properties: broker,controller): the controller model runs every broker "
            "node alike (combined or beside dedicated controllers)") in not_covered
    for key in REPLICATION_KEYS:
        g = _guarantee(guarantees, key)
        assert g.verdict == "", g.reason
        assert g.settings["process.roles"] == "broker"


def test_process_roles_in_another_order_is_the_same_roles(tmp_path):
    # KafkaConfig parses process.roles as a set: controller,broker is broker,controller.
    combined = BRK.replace("process.roles=broker", "process.roles=broker,controller")
    guarantees, not_covered = _plan(tmp_path, {
        "p_all.properties": P_ALL, "topic:t1.properties": T1, "b1.properties": combined,
        "b2.properties": combined.replace("broker,controller", "controller,broker")})
    assert not not_covered
    deposed = _guarantee(guarantees, "deposed-leader")
    assert deposed.verdict == "", deposed.reason
    assert deposed.settings["process.roles"] == "broker,controller"


def test_broker_files_that_mix_zookeeper_and_kraft_are_not_checked_as_either(tmp_path):
    # Which file comes first decided ZooKeeper or KRaft rules; the modes elect leaders by
    # different rules (KAFKA-12670: a 3.8 KRaft controller never elects an unclean leader).
    zookeeper = "broker.id=2\nzookeeper.connect=zk:2181\n"
    guarantees, not_covered = _plan(tmp_path, {
        "p_all.properties": P_ALL, "topic:t1.properties": T1,
        "broker:zk.properties": zookeeper, "brk.properties": BRK}, "3.8")
    assert not [g for g in guarantees if g.model in ("replication", "controller")]
    assert ("acknowledged writes survive crashes",
            "the broker files mix ZooKeeper mode (zk.properties: zookeeper.connect, no "
            "process.roles) and KRaft (brk.properties: process.roles=broker): a migration "
            "(KIP-866) is not modelled, and the two modes elect leaders by different rules"
            ) in not_covered
