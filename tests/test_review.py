"""`kafkacheck review`: a team's real configuration files, checked in one command."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from kafkacheck.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "review"
FILES = [str(EXAMPLES / name) for name in ("orders-producer.properties",
                                           "orders-consumer.properties",
                                           "orders-topic.properties")]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def example_review():
    """The README's example: production producer, consumer and topic files, one command."""
    import contextlib
    import io

    out = io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(out):
        code = main(["review", *FILES, "--json"])
    return code, json.loads(out.getvalue()), time.monotonic() - started


def _guarantee(data, key):
    return next(g for g in data["guarantees"] if g["id"] == key)


def test_the_example_files_are_reviewed_in_one_command_within_two_minutes(example_review):
    code, data, seconds = example_review
    assert code == 1 and data["exit_code"] == 1
    assert seconds < 120
    assert [f["role"] for f in data["files"]] == ["producer", "consumer", "topic"]


def test_security_serializer_and_schema_registry_keys_are_accepted_and_listed(example_review):
    _, data, _ = example_review
    keys = data["files"][0]["keys"]
    assert keys["sasl.jaas.config"]["kind"] == "kafka"
    assert keys["ssl.truststore.password"]["kind"] == "kafka"
    assert keys["value.serializer"]["kind"] == "kafka"
    assert keys["config.providers.file.class"]["kind"] == "kafka-prefix"
    assert keys["schema.registry.url"]["kind"] == "third-party"
    assert "Schema Registry" in keys["value.subject.name.strategy"]["detail"]


def test_acks_1_loses_an_acknowledged_write_and_acks_all_is_the_fix(example_review):
    _, data, _ = example_review
    crash = _guarantee(data, "acked-writes-survive-crash")
    assert crash["verdict"] == "violated"
    assert crash["counterexample"]["property"] == "NoAckedWriteLost"
    assert crash["counterexample"]["length"] == 3
    assert crash["fix"] == {"acks": "all"}
    assert crash["fault_model"]["explored"] == {
        "broker process crash (the page cache survives)": 1}
    assert data["kafka_version"] == "4.4"


def test_idempotence_silently_disabled_by_acks_1_shows_as_in_effect(example_review):
    _, data, _ = example_review
    producer = _guarantee(data, "producer-exactly-once-order")
    assert producer["settings"]["enable.idempotence"] == "true"
    assert producer["effective_settings"]["enable.idempotence"] == "false"
    # acks=all alone leaves the epoch bump after a follower left the ISR (session 29).
    assert producer["verdict"] == "violated" and producer["fix"] == {
        "acks": "all", "max.in.flight.requests.per.connection": "1"}


def test_latest_offset_reset_with_retention_skips_records_and_earliest_fixes_it(example_review):
    _, data, _ = example_review
    consumer = _guarantee(data, "consumer-at-least-once")
    assert consumer["verdict"] == "violated"
    assert consumer["fix"] == {"auto.offset.reset": "earliest"}
    assert consumer["bounds"]["retention"] == 1


def test_a_holding_guarantee_states_its_bounds_and_fault_model(example_review):
    _, data, _ = example_review
    owners = _guarantee(data, "one-owner")
    assert owners["verdict"] == "holds" and owners["complete"]
    assert owners["bounds"]["crashes"] == 1 and owners["distinct_states"] > 1000
    assert "consumer crash" in owners["fault_model"]["explored"]


def test_every_unknown_key_of_every_file_is_listed_in_one_message(tmp_path, capsys):
    producer = tmp_path / "p.properties"
    producer.write_text("acks=all\nlinger.sm=5\nkey.serializer=a.B\n")
    consumer = tmp_path / "c.properties"
    consumer.write_text("group.id=g\nenable.auto.comit=true\nmax.poll.records=abc\n")
    code, out, err = run(capsys, "review", str(producer), str(consumer))
    assert code == 2 and err.count("\n") == 1
    assert "3 unknown or invalid Kafka settings" in err
    assert "'linger.sm' (did you mean linger.ms?)" in err
    assert "'enable.auto.comit' (did you mean enable.auto.commit?)" in err
    assert "invalid value 'abc' for max.poll.records: Not a number of type INT" in err


def test_a_file_whose_keys_do_not_say_its_role_asks_for_it(tmp_path, capsys):
    common = tmp_path / "client.properties"
    common.write_text("bootstrap.servers=k:9092\nsecurity.protocol=SSL\n")
    code, _, err = run(capsys, "review", str(common))
    assert code == 2 and "ROLE:" in err


def test_a_safe_consumer_holds_and_exits_0(tmp_path, capsys):
    consumer = tmp_path / "consumer.properties"
    consumer.write_text("group.id=g\nauto.offset.reset=earliest\n"
                        "partition.assignment.strategy=org.apache.kafka.clients.consumer."
                        "CooperativeStickyAssignor\n")
    code, out, _ = run(capsys, "review", str(consumer))
    assert code == 0, out
    assert out.count("[HOLDS]") == 2 and "[VIOLATED]" not in out


def test_unmodelled_semantics_are_named_as_not_covered_and_exit_3(tmp_path, capsys):
    streams = tmp_path / "app.properties"
    streams.write_text("application.id=orders-app\nbootstrap.servers=k:9092\n"
                       "processing.guarantee=exactly_once_v2\nproducer.acks=all\n")
    consumer = tmp_path / "c.properties"
    consumer.write_text("group.id=g\ngroup.protocol=consumer\nisolation.level=read_committed\n"
                        "auto.offset.reset=earliest\n")
    code, out, _ = run(capsys, "review", str(streams), str(consumer))
    assert code == 3
    assert "[NOT COVERED] Kafka Streams application" in out
    assert "processing.guarantee=exactly_once_v2" in out
    assert "read_committed" in out and "[HOLDS]" not in out.split("[NOT COVERED]")[-1]


def test_consumer_protocol_guarantees_are_checked_on_the_kip848_model(tmp_path, capsys):
    consumer = tmp_path / "c.properties"
    consumer.write_text("group.id=g\ngroup.protocol=consumer\n")
    code, out, _ = run(capsys, "review", str(consumer), "--json")
    data = json.loads(out)
    verdicts = {g["id"]: (g["model"], g["verdict"]) for g in data["guarantees"]}
    assert code == 1 and data["not_covered"] == []
    # 2x2 is too small for the KIP-848 reconciliation window: a holds there is no verdict
    assert verdicts == {"one-owner": ("group-consumer", "not covered"),
                        "consumer-at-least-once": ("group-consumer", "violated")}
    fix = [g["fix"] for g in data["guarantees"] if g["id"] == "consumer-at-least-once"]
    assert "auto.offset.reset" in json.dumps(fix)


@pytest.mark.parametrize("protocol,label,zombie", [
    ("classic", "", ["group", "--bound", "pauses=1"]),
    ("consumer", " (KIP-848)", ["group-consumer", "--bound", "pauses=1"]),
])
def test_the_one_owner_guarantee_names_the_faults_it_holds_under_and_the_zombie_it_assumes(
        tmp_path, capsys, protocol, label, zombie):
    # Checked through a crash and a restart; a member paused past its session owns its
    # partitions until it learns it was removed, in every configuration: review states
    # that assumption (with the check that shows it) rather than claim more than it ran.
    consumer = tmp_path / "c.properties"
    consumer.write_text(f"group.id=g\ngroup.protocol={protocol}\nauto.offset.reset=earliest\n")
    code, out, _ = run(capsys, "review", str(consumer), "--json", "--no-fix")
    owners = _guarantee(json.loads(out), "one-owner")
    assert owners["title"] == ("No partition has two owners through consumer crashes, "
                               f"restarts and the rebalances they cause{label}")
    # KIP-848: a holds at review's 2x2 bounds is no verdict (the reconciliation window)
    assert owners["verdict"] == ("holds" if protocol == "classic" else "not covered")
    assert owners["fault_model"]["explored"] == {"consumer crash": 1, "consumer restart": 1}
    command = "kafkacheck check " + " ".join(zombie)
    assert any(command in note and note.startswith("no member is paused past its session")
               for note in owners["assumptions"])
    code, out, _ = run(capsys, "check", *zombie, "--property", "NoTwoOwnersAtOnce",
                       "--no-diagram")
    assert code == 1 and "VIOLATED: NoTwoOwnersAtOnce" in out


def test_consumer_protocol_on_an_older_release_is_not_covered_never_holds(tmp_path, capsys):
    consumer = tmp_path / "c.properties"
    consumer.write_text("group.id=g\ngroup.protocol=consumer\n")
    code, out, _ = run(capsys, "review", str(consumer), "--kafka-version", "3.7")
    assert code == 3 and "[HOLDS]" not in out
    assert ("the model does not cover group.protocol=consumer (before Kafka 4.0 the consumer "
            "protocol was early access or preview") in out


def test_a_check_cut_short_by_the_budget_is_not_covered_never_holds(tmp_path, capsys):
    topic = tmp_path / "topic.properties"
    topic.write_text("replication.factor=3\nmin.insync.replicas=2\n")
    code, out, _ = run(capsys, "review", str(topic), "--max-seconds", "0.01", "--no-fix")
    assert code in (1, 3)
    assert "[HOLDS]" not in out


def test_acks_0_sends_count_as_acknowledged_and_are_lost_to_a_crash(tmp_path, capsys):
    producer = tmp_path / "producer.properties"
    producer.write_text("acks=0\nkey.serializer=a.B\n")
    topic = tmp_path / "topic.properties"
    topic.write_text("replication.factor=3\nmin.insync.replicas=2\n")
    code, out, _ = run(capsys, "review", str(producer), str(topic), "--no-fix", "--json")
    data = json.loads(out)
    crash = _guarantee(data, "acked-writes-survive-crash")
    assert code == 1 and crash["verdict"] == "violated"
    assert crash["counterexample"]["property"] == "NoAckedWriteLost"
    assert "acks=0" in crash["counterexample"]["explanation"]
    assert not any(g["verdict"] == "holds" and g["id"].startswith("acked-writes")
                   for g in data["guarantees"])


def test_a_named_role_overrides_inference(tmp_path, capsys):
    topic = tmp_path / "orders.properties"
    topic.write_text("min.insync.replicas=2\n")  # also a broker key: name the role
    code, out, _ = run(capsys, "review", f"topic:{topic}", "--no-fix", "--json")
    data = json.loads(out)
    assert data["files"][0]["role"] == "topic" and data["files"][0]["why"].startswith("named")


def test_markdown_is_a_pull_request_comment_with_verdicts_fix_and_diagram(tmp_path, capsys):
    consumer = tmp_path / "consumer.properties"
    consumer.write_text("group.id=g\nauto.offset.reset=latest\n")
    topic = tmp_path / "topic.properties"
    topic.write_text("cleanup.policy=delete\nretention.ms=86400000\n")
    code, out, _ = run(capsys, "review", str(consumer), f"topic:{topic}", "--markdown")
    assert code == 1
    assert out.startswith("### kafkacheck review")
    assert "| guarantee | verdict | checked |" in out and "❌ violated" in out
    assert "**Fix:** set auto.offset.reset=earliest in the consumer configuration" in out
    assert "```mermaid" in out and "<details>" in out


def test_each_producer_file_is_checked_against_the_topic(tmp_path):
    from kafkacheck import review

    safe = tmp_path / "payments-producer.properties"
    safe.write_text("acks=all\nkey.serializer=a.B\n")
    risky = tmp_path / "audit-producer.properties"
    risky.write_text("acks=1\nkey.serializer=a.B\n")
    topic = tmp_path / "topic.properties"
    topic.write_text("replication.factor=3\nmin.insync.replicas=2\n")
    guarantees, _ = review.plan(review.load_files([str(safe), str(risky), str(topic)]))
    assert len({g.key for g in guarantees}) == len(guarantees)
    crash = {g.title: g for g in guarantees if g.key.startswith("acked-writes-survive-crash")}
    title = "Acknowledged writes survive a broker crash and the leader election that follows"
    assert set(crash) == {f"{title} [payments-producer.properties + topic.properties]",
                          f"{title} [audit-producer.properties + topic.properties]"}
    verdicts = {t: review._verdict(review._run_check(g, g.settings, 120, "4.4"))[0]
                for t, g in crash.items()}
    assert verdicts == {f"{title} [payments-producer.properties + topic.properties]": "holds",
                        f"{title} [audit-producer.properties + topic.properties]": "violated"}


def test_kafka_version_picks_the_defaults_of_unset_settings(tmp_path, capsys):
    producer = tmp_path / "producer.properties"
    producer.write_text("key.serializer=a.B\n")  # acks left at the release's default
    topic = tmp_path / "topic.properties"
    topic.write_text("replication.factor=3\nmin.insync.replicas=2\n")
    code, out, _ = run(capsys, "review", str(producer), str(topic), "--kafka-version", "2.8",
                       "--no-fix", "--json")
    data = json.loads(out)
    crash = _guarantee(data, "acked-writes-survive-crash")
    assert data["kafka_version"] == "2.8" and code == 1
    assert crash["settings"]["acks"] == "1" and crash["verdict"] == "violated"
    assert "acks not set in the producer file: Kafka 2.8's default acks=1" in crash["assumptions"]


def test_a_bad_kafka_version_is_one_line_before_any_check(tmp_path, capsys):
    topic = tmp_path / "topic.properties"
    topic.write_text("replication.factor=3\n")
    code, out, err = run(capsys, "review", str(topic), "--kafka-version", "9.9")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "unknown Kafka version '9.9'" in err


def test_fix_candidates_exist_in_the_release_checked():
    from kafkacheck.model import versions
    from kafkacheck.review import _replication_fixes

    settings = {"acks": "all", "replication.factor": "3", "min.insync.replicas": "2"}
    elr = ("eligible.leader.replicas.version", "1")
    assert elr not in _replication_fixes(settings, versions.parse("3.9"))  # no ELR before 4.0
    assert elr in _replication_fixes(settings, versions.parse("4.0"))  # there, off by default
    assert elr not in _replication_fixes(settings, versions.parse("4.4"))  # on by default
    assert ("flush.messages", "1") in _replication_fixes(settings, versions.parse("3.9"))


def test_power_loss_before_elr_loses_an_acks_all_write_and_flushing_fixes_it(tmp_path):
    """Kafka 3.9 (no Eligible Leader Replicas): acks=all, RF 3, min ISR 2 still loses an
    acknowledged write when a broker loses power; flush.messages=1 is the fix found."""
    import time as clock

    from kafkacheck import review

    producer = tmp_path / "producer.properties"
    producer.write_text("acks=all\nkey.serializer=a.B\n")
    topic = tmp_path / "topic.properties"
    topic.write_text("replication.factor=3\nmin.insync.replicas=2\n")
    files = review.load_files([str(producer), str(topic)])
    guarantees, _ = review.plan(files, review.versions.parse("3.9"))
    g = next(g for g in guarantees if g.key == "acked-writes-survive-power-loss")
    g.result = review._run_check(g, g.settings, 60, "3.9")
    assert review._verdict(g.result) == (review.VIOLATED, "")
    assert g.result.violation("NoAckedWriteLost") is not None
    review._search_fix(g, clock.monotonic() + 60, 1, "3.9")
    assert g.fix == [("flush.messages", "1")]


def test_a_never_reached_property_is_not_covered_never_holds():
    """review reads the engine's verdicts: a sometimes-property the bounds never reach is
    not covered (a plain 'complete, no violation' would have been a wrong green)."""
    from kafkacheck import review

    # Two voters cannot elect a new controller after a crash (no majority left).
    g = review.Guarantee("controller-fails-over", "A controller crash is survived",
                         "controller", ("ControllerFailsOver", "OneActiveControllerPerEpoch"),
                         {}, {"controllers": 2, "records": 0, "crashes": 1, "isolations": 0},
                         [])
    result = review._run_check(g, g.settings, 60, "4.4")
    assert result.complete and not result.violations
    verdict, why = review._verdict(result)
    assert verdict == review.NOT_COVERED and "never reached: ControllerFailsOver" in why


def test_semantics_changing_settings_no_model_covers_are_named(tmp_path):
    from kafkacheck import review

    producer = tmp_path / "producer.properties"
    producer.write_text("acks=all\nkey.serializer=a.B\ntransactional.id=orders-tx\n")
    topic = tmp_path / "topic.properties"
    topic.write_text("replication.factor=3\nremote.storage.enable=true\n")
    broker = tmp_path / "server.properties"
    broker.write_text("process.roles=broker\nnode.id=1\nlog.cleanup.policy=delete,compact\n")
    _, not_covered = review.plan(review.load_files(
        [str(producer), f"topic:{topic}", f"broker:{broker}"]))
    named = dict(not_covered)
    assert named["transactions (exactly-once across partitions) (producer.properties)"] == (
        "transactional.id=orders-tx: review does not run the transactions model: use "
        "`kafkacheck check transactions`")
    assert named["tiered storage (topic.properties)"].startswith("remote.storage.enable=true")
    assert named["log compaction (the broker's default for topics) (server.properties)"] \
        .startswith("log.cleanup.policy=delete,compact")


def test_a_setting_no_model_covers_makes_the_guarantees_of_its_file_not_covered(tmp_path,
                                                                                 capsys):
    """interceptor.classes can drop or rewrite records: a producer file that sets it gets
    no holds from review (as `check` gives none), each guarantee naming the key."""
    producer = tmp_path / "p.properties"
    producer.write_text("acks=all\nenable.idempotence=true\n"
                        "interceptor.classes=com.acme.DropSome\n")
    topic = tmp_path / "t.properties"
    topic.write_text("replication.factor=3\nmin.insync.replicas=2\n")
    code, out, _ = run(capsys, "review", str(producer), f"topic:{topic}", "--json")
    data = json.loads(out)
    assert code == 3 and {g["verdict"] for g in data["guarantees"]} == {"not covered"}
    assert len(data["guarantees"]) == 6
    assert all(g["reason"] == "interceptor.classes=com.acme.DropSome in p.properties "
               "changes producer semantics that no model here covers"
               for g in data["guarantees"])


def test_broker_settings_of_the_group_reach_the_consumer_guarantees(tmp_path, capsys):
    """A single replica of __consumer_offsets, or consumers fetching from followers
    (KIP-392), are broker settings that change what a consumer group gets."""
    code, data = _consumer_beside(tmp_path, capsys, "broker", "server.properties",
                                  "process.roles=broker\nnode.id=1\n"
                                  "offsets.topic.replication.factor=1\n")
    consumers = [g for g in data["guarantees"] if g["model"] == "group"]
    assert code == 1  # the replication guarantees, on the default replication.factor=1
    assert len(consumers) == 2
    assert all(g["verdict"] == "not covered" and g["reason"].startswith(
        "offsets.topic.replication.factor=1 in server.properties changes consumer")
        for g in consumers)


def test_share_group_settings_are_not_covered_never_one_owner(tmp_path, capsys):
    """A share group (KIP-932) hands one partition to many members by design: the classic
    group's one-owner verdict must not be printed for it."""
    consumer = tmp_path / "c.properties"
    consumer.write_text("group.id=g\nauto.offset.reset=earliest\n"
                        "share.acknowledgement.mode=explicit\n")
    code, out, _ = run(capsys, "review", str(consumer))
    assert code == 3 and "[HOLDS]" not in out
    assert out.count("share.acknowledgement.mode=explicit in c.properties changes consumer "
                     "semantics") == 2


def test_a_value_the_model_does_not_cover_is_not_covered_even_if_the_default_fails(tmp_path,
                                                                                  capsys):
    """by_duration:PT1H runs as Kafka's default latest inside the model: the violation
    found there is no verdict for the value in the file."""
    consumer = tmp_path / "c.properties"
    consumer.write_text("group.id=g\nauto.offset.reset=by_duration:PT1H\n")
    code, out, _ = run(capsys, "review", str(consumer), "--no-fix")
    assert code == 3 and "[VIOLATED]" not in out and "[HOLDS]" not in out
    assert "the model does not cover auto.offset.reset=by_duration" in out


@pytest.mark.parametrize("role, key", [("producer", "transactional.id"),
                                       ("consumer", "group.instance.id")])
def test_an_empty_non_empty_string_is_refused_as_kafka_refuses_it(tmp_path, capsys, role,
                                                                  key):
    """ConfigDef.NonEmptyString after parseType's trim: the client throws ConfigException."""
    f = tmp_path / "f.properties"
    f.write_text(f"group.id=g\n{key}=  \n" if role == "consumer" else f"acks=all\n{key}=\n")
    code, _, err = run(capsys, "review", f"{role}:{f}")
    assert code == 2
    assert err.strip().endswith(f"invalid value '' for {key}: String must be non-empty")


@pytest.mark.thorough  # 16 s: two whole reviews
def test_a_file_read_by_both_clients_gets_its_other_role_named(tmp_path, capsys):
    """One application file handed to its producer and its consumer: inferred as the
    producer, its consumer guarantees are named as not checked until given as such."""
    app = tmp_path / "app.properties"
    app.write_text("acks=all\nenable.idempotence=true\nlinger.ms=10\nbatch.size=32768\n"
                   "group.id=orders\nenable.auto.commit=true\nauto.offset.reset=latest\n")
    topic = tmp_path / "t.properties"
    topic.write_text("replication.factor=3\nmin.insync.replicas=2\n")
    code, out, _ = run(capsys, "review", str(app), f"topic:{topic}", "--no-fix", "--json")
    data = json.loads(out)
    # exit 1: its producer guarantee is violated (session 29: the epoch bump after a
    # follower left the ISR), over the consumer guarantees not checked (3)
    assert code == 1 and [f["role"] for f in data["files"]] == ["producer", "topic"]
    assert "consumer guarantees (app.properties)" in json.dumps(data["not_covered"])
    code, out, _ = run(capsys, "review", f"producer:{app}", f"consumer:{app}",
                       f"topic:{topic}", "--no-fix", "--json")
    data = json.loads(out)
    assert code == 1 and data["not_covered"] == []
    assert {g["id"]: g["verdict"] for g in data["guarantees"]}["consumer-at-least-once"] \
        == "violated"


def test_the_voter_set_of_the_broker_file_is_the_controller_models_voters():
    from kafkacheck import review

    def deposed(voters: str) -> tuple[list, list]:
        broker = review.ConfigFile("server.properties", "broker", "named", {
            "process.roles": "broker", "controller.quorum.voters": voters})
        topic = review.ConfigFile("t.properties", "topic", "named",
                                  {"replication.factor": "3"})
        guarantees, not_covered = review.plan([broker, topic])
        return [g for g in guarantees if g.key == "deposed-leader"], not_covered

    found, _ = deposed("1@c1:9093")
    assert found[0].bounds["controllers"] == 1
    assert "controllers=1 (controller.quorum.voters)" in found[0].assumptions
    found, not_covered = deposed(",".join(f"{i}@c{i}:9093" for i in range(7)))
    assert not found and any("names 7 voters" in why for _, why in not_covered)


@pytest.mark.thorough  # slow (session 32's 10-minute budget)
def test_a_key_removed_in_4_0_is_read_under_an_older_release_and_named_not_covered(tmp_path,
                                                                                   capsys):
    """log.message.format.version is a Kafka 3.6 broker key (removed in 4.0, KIP-724): under
    --kafka-version 3.6 it is no error, and never checked; a typo of a key Kafka 4.4 still
    has stays an error."""
    broker = tmp_path / "server.properties"
    broker.write_text("process.roles=broker,controller\nnode.id=1\n"
                      "log.message.format.version=2.8\n"
                      "default.replication.factor=3\nmin.insync.replicas=2\n")
    code, out, _ = run(capsys, "review", f"broker:{broker}", "--kafka-version", "3.6",
                       "--no-fix", "--json")
    data = json.loads(out)
    assert code == 1  # before ELR (4.1) a power loss loses an acks=all write
    assert data["files"][0]["keys"]["log.message.format.version"]["kind"] == "older-release"
    assert {"what": "settings of an older release (server.properties)",
            "why": "log.message.format.version: not in the Kafka 4.4.0 catalogue review "
            "knows, so neither their names nor their effect are checked"} in data["not_covered"]
    code, _, err = run(capsys, "review", f"broker:{broker}")
    assert code == 2 and "'log.message.format.version'" in err
    broker.write_text("process.roles=broker\nnode.id=1\nnum.partitons=3\n")
    code, _, err = run(capsys, "review", f"broker:{broker}", "--kafka-version", "3.6")
    assert code == 2 and "did you mean num.partitions?" in err


def test_a_producer_file_with_a_group_id_names_its_consumer_guarantees(tmp_path, capsys):
    # group.id is a Connect worker key as well as a consumer key: it still tells.
    shared = tmp_path / "shared.properties"
    shared.write_text("acks=all\nenable.idempotence=true\nretries=5\ngroup.id=orders\n")
    _, not_covered = review_plan([str(shared)])
    assert any(what == "consumer guarantees (shared.properties)" and "group.id" in why
               for what, why in not_covered)


def test_a_compacted_topic_reaches_the_consumer_guarantees(tmp_path, capsys):
    code, data = _consumer_beside(tmp_path, capsys, "topic", "t.properties",
                                  "replication.factor=3\nmin.insync.replicas=2\n"
                                  "cleanup.policy=compact\n")
    assert code == 3 and {g["verdict"] for g in data["guarantees"]} == {"not covered"}
    assert any(n["what"] == "log compaction (t.properties)" for n in data["not_covered"])


@pytest.mark.parametrize("roles, voters, rf, why", [
    ("broker,controller", "1@a:9093,2@b:9093,3@c:9093", "2",
     "process.roles=broker,controller with 3 voters on brokers that hold 2 replicas"),
    ("broker", " , ", "3", "lists no voter"),
])
def test_a_voter_set_the_controller_model_cannot_run_is_named(roles, voters, rf, why):
    from kafkacheck import review

    broker = review.ConfigFile("server.properties", "broker", "named", {
        "process.roles": roles, "controller.quorum.voters": voters,
        "default.replication.factor": rf})
    # beside dedicated brokers the controllers' default.replication.factor is the cluster's
    controller = review.ConfigFile("controller.properties", "broker", "named", {
        "process.roles": "controller", "default.replication.factor": rf})
    guarantees, not_covered = review.plan([broker, controller] if roles == "broker"
                                          else [broker])
    assert not [g for g in guarantees if g.key == "deposed-leader"]
    assert any(w.startswith("A leader cut off") and why in y for w, y in not_covered)


def review_plan(specs):
    from kafkacheck import review

    return review.plan(review.load_files(specs))


def _consumer_beside(tmp_path, capsys, role: str, name: str, text: str):
    """review --json (no fix search) of a consumer reading from the earliest offset,
    beside one more file of ``role``."""
    consumer = tmp_path / "c.properties"
    consumer.write_text("group.id=g\nauto.offset.reset=earliest\n")
    other = tmp_path / name
    other.write_text(text)
    code, out, _ = run(capsys, "review", str(consumer), f"{role}:{other}", "--no-fix",
                       "--json")
    return code, json.loads(out)


def test_a_patch_release_is_reviewed_with_its_backported_fixes(tmp_path, capsys):
    # review ran 3.0.1 as 3.0 (no KAFKA-13598): retries duplicated where check held.
    producer = tmp_path / "producer.properties"
    producer.write_text("acks=all\n")
    verdicts = {}
    for version in ("3.0", "3.0.1"):
        _code, out, _ = run(capsys, "review", f"producer:{producer}", "--kafka-version",
                            version, "--no-fix", "--json")
        data = json.loads(out)
        verdicts[data["kafka_version"]] = _guarantee(data, "producer-exactly-once-order")[
            "verdict"]
    assert verdicts == {"3.0": "violated", "3.0.1": "holds"}


@pytest.mark.parametrize("version,code,message", [
    ("3.4", 3, "not covered"), ("4.4", 2, "removed in 4.0 by KAFKA-12689")])
def test_a_value_valid_only_in_older_releases_is_judged_by_the_release(tmp_path, capsys,
                                                                       version, code, message):
    # review refused exactly_once_beta on 3.4 (the 4.4 catalogue's validator): check did not.
    streams = tmp_path / "s.properties"
    streams.write_text("application.id=app\nbootstrap.servers=x:9092\n"
                       "processing.guarantee=exactly_once_beta\n")
    got, out, err = run(capsys, "review", f"streams:{streams}", "--kafka-version", version)
    assert got == code and message in out + err
