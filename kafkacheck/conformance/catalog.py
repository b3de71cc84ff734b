"""Every real-cluster scenario by name, with what it needs (network namespaces, a JDK).

Adding a model family (transactions, the KIP-848 group protocol): write a scenario that
records a history and ends with :func:`~.result.finish` (its settings as a
:class:`~.predict.RunConfig`, its faults by name from :data:`~.predict.FAULTS`), register
it here with its family, and, if the family brings anomalies of its own (a read of an
aborted transaction, ...), add them to :data:`~.predict.KINDS` with the properties whose
violation allows them, and a checker to :func:`~.conform.observe`.  ``run``, the report
page and the predictions pick it up from these tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import partition_scenarios as ps
from . import scenarios as sc
from . import txn_scenario as txn
from .cluster import KafkaCluster
from .result import ScenarioResult


@dataclass(frozen=True)
class Scenario:
    """A named scenario: how to run it, whether it needs network namespaces, and the faults
    (:data:`~.predict.FAULTS`) it injects, the same constant its prediction uses."""

    name: str
    run: Callable[[KafkaCluster, Path], ScenarioResult]
    network: bool = False
    family: str = ""
    faults: tuple[str, ...] = ()


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("acks1-leader-kill", sc.acks1_leader_kill, family="replication",
                 faults=sc.ACKS1_FAULTS),
        Scenario("acks-all-kill-rounds", sc.acks_all_kill_rounds, family="replication",
                 faults=sc.KILL_ROUNDS_FAULTS),
        Scenario(
            "zombie-leader-acks1",
            lambda c, w: ps.zombie_leader(c, w, acks="1"),
            network=True,
            family="controller isolation",
            faults=ps.ZOMBIE_FAULTS,
        ),
        Scenario(
            "zombie-leader-acks-all",
            lambda c, w: ps.zombie_leader(c, w, acks="all"),
            network=True,
            family="controller isolation",
            faults=ps.ZOMBIE_FAULTS,
        ),
        Scenario(
            "producer-retry-duplicates",
            lambda c, w: ps.retry_duplicates(c, w, idempotence=False),
            network=True,
            family="producer retries",
            faults=ps.RETRY_FAULTS,
        ),
        Scenario(
            "producer-retry-idempotent",
            lambda c, w: ps.retry_duplicates(c, w, idempotence=True),
            network=True,
            family="producer retries",
            faults=ps.RETRY_FAULTS,
        ),
        Scenario(
            "idempotent-epoch-bump-java",
            lambda c, w: ps.epoch_bump_set_up(c, w, client="java"),
            network=True,
            family="producer retries",
            faults=ps.EPOCH_BUMP_FAULTS,
        ),
        Scenario(
            "idempotent-epoch-bump-librdkafka",
            lambda c, w: ps.epoch_bump_set_up(c, w, client="librdkafka"),
            network=True,
            family="producer retries",
            faults=ps.EPOCH_BUMP_FAULTS,
        ),
        Scenario(
            "commit-before-processing-crash",
            sc.commit_before_processing_crash,
            family="consumer groups",
            faults=sc.CONSUMER_CRASH_FAULTS,
        ),
        Scenario("auto-commit-crash", sc.auto_commit_crash, family="consumer groups",
                 faults=sc.CONSUMER_CRASH_FAULTS),
        Scenario(
            "auto-commit-store-on-return-crash",
            sc.auto_commit_store_on_return_crash,
            family="consumer groups",
            faults=sc.CONSUMER_CRASH_FAULTS,
        ),
        Scenario("txn-zombie-broker-kill", txn.txn_zombie_broker_kill_scenario,
                 family="transactions", faults=txn.RUN_FAULTS),
    )
}

#: Model families still without a scenario here; adding one (the KIP-848 group protocol,
#: whose two-owners race is a thorough test of its own) registers a :class:`Scenario` above.
PENDING_FAMILIES = ("consumer group protocol (KIP-848)",)
