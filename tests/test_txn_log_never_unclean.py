"""The transaction log never elects an unclean leader: TransactionStateManager
.transactionTopicConfigs forces unclean.leader.election.enable=false on
__transaction_state in every release, whatever the brokers say; the data topic follows
the brokers."""

from __future__ import annotations

import pytest

from kafkacheck.testing import make_model

UNCLEAN = {"transactional.id": "app", "acks": "all", "min.insync.replicas": "1",
           "replication.factor": "2", "unclean.leader.election.enable": "true"}


def test_the_transaction_log_is_clean_only_and_clean_only_never_elects_uncleanly():
    model = make_model("transactions", UNCLEAN, instances=1, partitions=1, crashes=1)
    assert model.repl.clean_only == frozenset({model.TXN})
    # The rule itself, on the replication component: partition 0 clean-only, 1 not.
    repl = make_model("replication", {k: v for k, v in UNCLEAN.items()
                                      if k != "transactional.id"},
                      partitions=2, records=1, crashes=1, crash_kind="process")
    repl.clean_only = frozenset({0})
    assert unclean_elections(repl) == {("UncleanElect", "B1", "p1")}


def unclean_elections(model):
    """The UncleanElect labels of every reachable transition."""
    seen, frontier, out = set(), list(model.init_states()), set()
    while frontier:
        state = frontier.pop()
        for action, nxt in model.successors(state):
            if action[0] == "UncleanElect":
                out.add(tuple(action))
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return out


@pytest.mark.thorough  # 7 s: the whole state space
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
