"""partition, assign and partitioner-sequence answer exactly what Kafka computes, instantly."""

from __future__ import annotations

import json
import time

import pytest
from oracle_files import load_oracle

from kafkacheck import calculators
from kafkacheck.cli import main
from kafkacheck.config import UsageError
from kafkacheck.model.algorithms import assignors

MURMUR = load_oracle("murmur2_vectors.json")
ASSIGN = load_oracle("assignor_cases.json")
PARTITIONER = load_oracle("partitioner_cases.json")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("vector", MURMUR, ids=[v["key_desc"][:40] for v in MURMUR])
def test_partition_of_a_key_is_kafkas_murmur2_partition(vector):
    for count, expected in vector["partition"].items():
        answer = calculators.partition_for(vector["key_hex"], int(count), serializer="bytes")
        assert (answer.murmur2, answer.partition) == (vector["murmur2"], expected)


def test_order_42_on_12_partitions_is_partition_0_as_kafka_4_4_computes(capsys):
    # Cross-checked with org.apache.kafka.common.utils.Utils.murmur2 from kafka-clients
    # 4.4.0 (murmur2("order-42") = 501153024, toPositive % 12 = 0).
    code, out, _ = run(capsys, "partition", "--key", "order-42", "--partitions", "12")
    assert code == 0 and out.startswith("key 'order-42' -> partition 0 of 12")
    assert "murmur2: 501153024" in out


def test_string_keys_are_serialized_as_utf8_before_hashing(capsys):
    vector = next(v for v in MURMUR if v["key_desc"] == "UTF-8 of '日本語' (StringSerializer)")
    code, out, _ = run(capsys, "partition", "--key", "日本語", "--partitions", "100", "--json")
    assert json.loads(out)["keys"][0]["partition"] == vector["partition"]["100"]


def test_integer_keys_use_integer_serializer_bytes():
    vector = next(v for v in MURMUR if v["key_desc"] == "IntegerSerializer(-1) big-endian")
    answer = calculators.partition_for("-1", 16, serializer="integer")
    assert answer.partition == vector["partition"]["16"]


def test_a_keys_file_gives_one_line_per_key_and_the_spread(tmp_path, capsys):
    keys = tmp_path / "keys.txt"
    keys.write_text("order-42\norder-1\ncustomer-7\n")
    code, out, _ = run(capsys, "partition", "--keys-file", str(keys), "--partitions", "12")
    assert code == 0
    # Java Utils.murmur2 on kafka-clients 4.4.0: order-1 -> 10, customer-7 -> 7.
    assert "'order-1'     10" in out and "'customer-7'  7" in out
    assert "3 keys over 12 partitions: p0: 1, p7: 1, p10: 1" in out


def test_roundrobin_and_ignore_keys_say_the_key_does_not_choose(capsys):
    for partitioner in ("roundrobin", "ignore-keys"):
        code, out, _ = run(capsys, "partition", "--key", "k", "--partitions", "3",
                           "--partitioner", partitioner)
        assert code == 0 and "does not choose the partition" in out


def _oracle_inputs(case):
    members = list(case["members"])
    previous = {m: s["owned_partitions"] for m, s in case["members"].items()
                if s["owned_partitions"] or s["user_data"] is not None}
    generations = {m: s["generation"] for m, s in case["members"].items()
                   if s["generation"] is not None}
    subscribe = {m: s["topics"] for m, s in case["members"].items()}
    ids = {m: s["group_instance_id"] for m, s in case["members"].items()
           if s["group_instance_id"]}
    return members, previous, generations, subscribe, ids


def _expressible(case):
    """Oracle cases whose member subscriptions the calculator's inputs reproduce exactly."""
    if case["partition_replica_racks"] or any(s["rack"] for s in case["members"].values()):
        return False
    members, previous, generations, subscribe, ids = _oracle_inputs(case)
    try:
        owned = {m: [calculators._tp(tp, case["topics"]) for tp in previous.get(m, [])]
                 for m in members}
    except UsageError:
        return False
    strategy = case["assignor"]
    built = calculators.build_subscriptions(strategy, case["topics"], members, subscribe, owned,
                                            generations, ids, previous)
    oracle = {m: assignors.MemberSubscription(
        topics=tuple(s["topics"]),
        owned_partitions=tuple(assignors.parse_topic_partition(p)
                               for p in s["owned_partitions"]),
        generation=s["generation"],
        user_data=None if s["user_data"] is None else (
            assignors.StickyUserData(tuple(assignors.parse_topic_partition(p)
                                           for p in s["user_data"]["partitions"]),
                                     s["user_data"]["generation"])
            if s["user_data"]["kind"] == "sticky"
            else assignors.CooperativeUserData(s["user_data"]["generation"])),
        group_instance_id=s["group_instance_id"]) for m, s in case["members"].items()}
    return built == oracle


EXPRESSIBLE = [c for c in ASSIGN if _expressible(c)]


def test_most_oracle_assignment_cases_are_expressible_as_calculator_input():
    assert len(EXPRESSIBLE) >= 40 and len(ASSIGN) >= 61


@pytest.mark.parametrize("case", EXPRESSIBLE, ids=[c["id"] for c in EXPRESSIBLE])
def test_assign_gives_kafkas_assignment(case):
    members, previous, generations, subscribe, ids = _oracle_inputs(case)
    protocol = "consumer" if case["assignor"] == "kip848-range" else "classic"
    answer = calculators.assign_partitions(case["assignor"], case["topics"], members, subscribe,
                                           previous, generations, ids, protocol)
    got = answer.first_round if answer.first_round is not None else answer.assignment
    for member, expected in case["expected"].items():
        if case["order_significant"]:
            assert got[member] == expected, member
        else:
            assert sorted(got[member]) == sorted(expected), member


def test_four_consumers_on_three_partitions_cooperative_sticky_answers_instantly(capsys):
    started = time.monotonic()
    code, out, _ = run(capsys, "assign", "--strategy", "cooperative-sticky", "--members", "4",
                       "--topics", "orders:3")
    assert time.monotonic() - started < 2.0
    assert code == 0 and "consumer-4  (nothing)" in out
    assert "1 member gets nothing" in out


def test_claims_from_an_older_generation_lose_to_the_newer_one(capsys):
    # Both claim t-0; sticky keeps it with the member of the highest generation.
    code, out, _ = run(capsys, "assign", "--strategy", "sticky", "--members", "a,b",
                       "--topics", "t:2", "--previous", "a@1=t-0,b@2=t-0+t-1", "--json")
    got = json.loads(out)["assignment"]
    assert code == 0 and "t-0" in got["b"] and got["a"] == ["t-1"]


def test_cooperative_moves_revoke_in_round_one_and_hand_out_in_round_two(capsys):
    code, out, _ = run(capsys, "assign", "--strategy", "cooperative-sticky", "--members", "4",
                       "--topics", "orders:3", "--previous",
                       "consumer-1=orders-0+orders-1,consumer-2=orders-2,consumer-3=", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["first_round"]["consumer-1"] == ["orders-0"]  # orders-1 withheld in round 1
    assert data["revoked"] == {"consumer-1": ["orders-1"]}
    assert data["moves"] == [{"partition": "orders-1", "from": "consumer-1", "to": "consumer-3"}]
    assert data["assignment"]["consumer-3"] == ["orders-1"]


def test_kip848_range_is_the_server_side_range_of_the_consumer_protocol(capsys):
    case = next(c for c in ASSIGN if c["assignor"] == "kip848-range")
    members = ",".join(case["members"])
    topics = ",".join(f"{t}:{n}" for t, n in case["topics"].items())
    subscribe = ",".join(f"{m}={'+'.join(s['topics'])}" for m, s in case["members"].items())
    code, out, _ = run(capsys, "assign", "--strategy", "range", "--group-protocol", "consumer",
                       "--members", members, "--topics", topics, "--subscribe", subscribe,
                       "--json")
    got = json.loads(out)["assignment"]
    assert code == 0
    assert {m: sorted(v) for m, v in got.items()} == \
        {m: sorted(v) for m, v in case["expected"].items()}


KIP848 = [c for c in load_oracle("kip848_assignor_cases.json")["cases"]
          if c["assignor"] == "uniform" and isinstance(c["expected"], dict)
          and all(m["topics"] for m in c["members"])]


def test_uniform_is_the_kip848_coordinators_sticky_target_assignment(capsys):
    # Every uniform oracle case (Kafka 4.4's UniformAssignor run on it) whose members all
    # subscribe: the current targets go in as --previous, static ids as --instance-ids.
    assert len(KIP848) > 50
    for case in KIP848:
        topics = ",".join(f"t{k}:{n}" for k, n in enumerate(case["topics"]))
        ms = case["members"]
        argv = ["assign", "--strategy", "uniform", "--group-protocol", "consumer",
                "--members", ",".join(m["id"] for m in ms), "--topics", topics, "--json",
                "--subscribe", ",".join(f"{m['id']}=" + "+".join(f"t{t}" for t in m["topics"])
                                        for m in ms)]
        previous = [f"{m['id']}=" + "+".join(f"t{t}-{p}" for t, p in m["assignment"])
                    for m in ms if m["assignment"]]
        if previous:
            argv += ["--previous", ",".join(previous)]
        ids = [f"{m['id']}={m['instance']}" for m in ms if m["instance"]]
        if ids:
            argv += ["--instance-ids", ",".join(ids)]
        code, out, err = run(capsys, *argv)
        assert code == 0, (case["id"], err)
        got = json.loads(out)["assignment"]
        expected = {m: [f"t{t}-{p}" for t, p in tps] for m, tps in case["expected"].items()}
        assert {m: sorted(v) for m, v in got.items()} == \
            {m: sorted(v) for m, v in expected.items()}, case["id"]


def test_uniform_names_what_moves_after_the_members_revoke(capsys):
    code, out, _ = run(capsys, "assign", "--strategy", "uniform", "--group-protocol", "consumer",
                       "--members", "c1,c2,c3", "--topics", "orders:6", "--previous",
                       "c1=orders-0+orders-1+orders-2,c2=orders-3+orders-4+orders-5", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["revoked"] == {"c1": ["orders-2"], "c2": ["orders-5"]}
    assert data["moves"] == [{"partition": "orders-2", "from": "c1", "to": "c3"},
                             {"partition": "orders-5", "from": "c2", "to": "c3"}]


def test_round_robin_partitioner_spreads_keyless_records_evenly():
    oracle = PARTITIONER["round_robin_partitioner"]["example_from_test"]
    answer = calculators.round_robin_sequence(oracle["calls_topicA"], oracle["topicA_partitions"])
    counts = {str(p): answer.partition_of.count(p) for p in range(answer.partitions)}
    assert counts == oracle["expected_counts"]
    assert answer.partition_of[:4] == [0, 1, 2, 0]


def test_sticky_partitioner_switches_after_batch_size_bytes_once_the_batch_is_full():
    # batch.size 16384, 1000-byte records: a batch holds 16 (61 + 16 x 1000 > 16384); the
    # partition switches when 16384 bytes went to it and its last batch is full, i.e.
    # at the 33rd record (two full batches), drawing one random number per switch.
    answer = calculators.sticky_sequence(70, 3, 16384, 1000, draws=[0, 1, 2])
    assert answer.partition_of == [0] * 32 + [1] * 32 + [2] * 6
    assert answer.draws == [0, 1, 2]
    assert answer.events[0] == "new batch" and answer.events[16] == "new batch"
    assert answer.events[32] == "new batch, switched"


def test_sticky_partitioner_picks_by_to_positive_draw_modulo_partitions():
    # uniform_pick_without_stats: available[toPositive(random) % size].
    answer = calculators.sticky_sequence(1, 5, draws=[-7])
    assert answer.partition_of == [(-7 & 0x7FFFFFFF) % 5]


def test_sticky_sequence_needs_enough_draws_and_says_so():
    with pytest.raises(UsageError, match="more random draws"):
        calculators.sticky_sequence(100, 3, 16384, 1000, draws=[0])


def test_partitioner_sequence_prints_its_inputs(capsys):
    code, out, _ = run(capsys, "partitioner-sequence", "--partitions", "3", "--records", "40",
                       "--record-bytes", "1000", "--random", "5,6")
    assert code == 0
    assert "records 0-31" in out and "random draws used" in out and "5, 6" in out
    assert "batch.size=16384" in out


@pytest.mark.parametrize("argv,fragment", [
    (["partition", "--partitions", "3"], "give --key"),
    (["partition", "--key", "k", "--partitions", "0"], "below the minimum 1"),
    (["partition", "--key", "zz", "--partitions", "3", "--key-serializer", "bytes"],
     "not a valid bytes"),
    (["assign", "--strategy", "range", "--members", "a,a", "--topics", "t:1"], "named twice"),
    (["assign", "--strategy", "range", "--members", "a", "--topics", "t"], "TOPIC:PARTITIONS"),
    (["assign", "--strategy", "sticky", "--members", "a,b", "--topics", "t:2",
      "--previous", "a@x=t-0"], "generation after @"),
    (["assign", "--strategy", "sticky", "--members", "a", "--topics", "t:2",
      "--previous", "a=t-5"], "no such partition"),
    (["assign", "--strategy", "uniform", "--members", "a", "--topics", "t:2"],
     "--group-protocol consumer"),
    (["partitioner-sequence", "--partitions", "3", "--random", "x"], "Java int"),
])
def test_calculator_mistakes_are_one_line_errors(capsys, argv, fragment):
    code, out, err = run(capsys, *argv)
    assert code == 2 and fragment in err and err.count("\n") == 1
