"""Models that embed the replication model read ZooKeeper or KRaft mode as it does.

Before 4.0 a cluster runs ZooKeeper unless ``process.roles`` is given; the two controllers
differ (a KRaft controller before 3.9 never elects an unclean leader, KAFKA-12670; only
KRaft checks broker epochs, KIP-903).  The producer, transactions, Streams and group
(log=replicated) models pass the setting to their replication model and print its note,
instead of saying "not modelled" beside a ZooKeeper note.
"""

from __future__ import annotations

import pytest

from kafkacheck.testing import check, make_model

ROLES = {"process.roles": "broker"}
UNCLEAN = {"unclean.leader.election.enable": "true", "replication.factor": "2",
           "min.insync.replicas": "1"}


def _embedded(model):
    """The replication model a model embeds."""
    return model.log.model if hasattr(model, "log") else model.repl


@pytest.mark.parametrize("name,settings,bounds", [
    ("producer", {}, {}),
    ("transactions", {"transactional.id": "app"}, {}),
    ("streams", {}, {}),
    ("source", {}, {}),
    ("group", {}, {"log": "replicated"}),
])
def test_process_roles_reaches_the_embedded_replication_model(name, settings, bounds):
    zk = make_model(name, settings, kafka_version="3.8", **bounds)
    kraft = make_model(name, {**settings, **ROLES}, kafka_version="3.8", **bounds)
    assert (_embedded(zk).kraft, _embedded(kraft).kraft) == (False, True)
    assert "process.roles" not in kraft.config.not_modelled
    # 4.0 runs KRaft only, given or not
    assert _embedded(make_model(name, settings, kafka_version="4.0", **bounds)).kraft


def test_a_kraft_38_producer_has_no_unclean_election_to_lose_a_write():
    bounds = {"crashes": 1, "lost_responses": 0}
    zk = check({**UNCLEAN, "acks": "all"}, model="producer", kafka_version="3.8",
               properties=["NoAckedRecordLost"], bounds=bounds)
    assert zk.result == "violated"
    assert any(a[0] == "UncleanElect" for a in zk.violation("NoAckedRecordLost").trace.actions)
    kraft = check({**UNCLEAN, **ROLES, "acks": "all"}, model="producer", kafka_version="3.8",
                  properties=["NoAckedRecordLost"], bounds=bounds)
    assert kraft.result == "holds" and kraft.complete
    assert any("has no effect: Kafka 3.8's KRaft controller never elects an unclean"
               in note for note in kraft.model.notes())
    assert not any("ZooKeeper mode assumed" in note for note in kraft.model.notes())


def test_transactions_and_group_repeat_the_mode_note():
    txn = make_model("transactions", {"transactional.id": "app", "replication.factor": "2"},
                     kafka_version="3.8")
    assert any(note.startswith("ZooKeeper mode assumed") for note in txn.notes())
    group = make_model("group", {}, kafka_version="3.8", log="replicated")
    assert any(note.startswith("ZooKeeper mode assumed") for note in group.notes())
    assert make_model("group", {}, kafka_version="3.8").notes() == []
