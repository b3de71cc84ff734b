"""The transaction log never elects an unclean leader: TransactionStateManager
.transactionTopicConfigs forces unclean.leader.election.enable=false on
__transaction_state in every release, whatever the brokers say; the data topic follows
the brokers."""

from __future__ import annotations

from kafkacheck.testing import make_model

UNCLEAN = {"transactional.id": "app", "acks": "all", "min.insync.replicas": "1",
           "replication.factor": "2", "unclean.leader.election.enable": "true"}


def test_unclean_elections_reach_the_data_partition_but_never_the_transaction_log():
    model = make_model("transactions", UNCLEAN, instances=1, partitions=1, crashes=1)
    txn_log = model.partition_name(model.TXN)
    seen, frontier, unclean = set(), list(model.init_states()), set()
    while frontier:
        state = frontier.pop()
        for action, nxt in model.successors(state):
            if action[0] == "UncleanElect":
                unclean.add(action[-1])
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert unclean == {model.partition_name(0)} and txn_log not in unclean
