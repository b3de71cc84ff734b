"""What the model predicts a real-cluster run may show, derived from model runs made now.

A run on the real cluster is described by a :class:`RunConfig` (the settings it used and
the feature levels the cluster reported) and a set of faults (:data:`FAULTS`).
:func:`plan` turns them into model runs (which model, which Kafka settings, which bounds
stand for those faults); :func:`predict` runs each exhaustively through kafkacheck's
Python API and reads which ``always`` properties are violated.  An anomaly kind
(:data:`KINDS`) is *possible* when a property that allows it is violated in some run,
*impossible* when each of its causes (the log; for a group's kinds the group's processing
too) was checked by some run and every run that checks such a property completed with it
holding, and *not covered* otherwise.  Nothing here is hand-decided per scenario: the mapping from
properties to the anomalies their violation makes observable is the only table, and it
is the same for every run.

A Kafka feature the model does not take (the ELR level in the controller and producer
models, 3 partitions where a model runs fewer) is listed in the run's ``abstractions``
so the report can say which model runs used what.
"""

from __future__ import annotations

import difflib
import time
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kafkacheck.model.interface import Model

POSSIBLE = "possible"
IMPOSSIBLE = "impossible"
NOT_COVERED = "not covered"


@dataclass(frozen=True)
class AnomalyKind:
    """One kind of anomaly the checkers derive from a history."""

    id: str
    label: str
    view: str  # "log": producers and complete reads; "group": what a consumer group processed
    meaning: str
    #: what may cause it, one entry per cause (the log; the group's processing): the
    #: properties whose violation makes the anomaly observable, with the reason.  A cause is
    #: checked when any one of its properties is; the kind is impossible only when all are.
    causes: tuple[tuple[tuple[str, str], ...], ...]

    @property
    def allowed_by(self) -> tuple[tuple[str, str], ...]:
        """Every property whose violation makes this anomaly observable, with the reason."""
        return tuple(prop for cause in self.causes for prop in cause)


_LOSS = (
    ("NoAckedWriteLost", "an acknowledged record vanished from the log"),
    ("NoAckedRecordLost", "an acknowledged record vanished from the log"),
    ("DeposedLeaderAcksSurvive", "a deposed leader acknowledged a record later truncated"),
)
_REUSE = tuple((p, f"{why}, so its offset is reused") for p, why in _LOSS)
_LOG_CHANGES = (
    ("CommittedRecordsStay", "a committed record changed at its offset"),
    ("ReplicasAgreeBelowHw", "two replicas disagree below the high watermark"),
)
_DUPLICATES = (("NoDuplicates", "a record was written twice"),)
#: The group's own processing (the group model): a record committed or started past unread.
_GROUP_SKIP = (
    ("AtLeastOnce", "the group committed past an unprocessed record"),
    ("NoSkippedOffsets", "a member started past an unprocessed record"),
)

KINDS: dict[str, AnomalyKind] = {
    k.id: k
    for k in (
        AnomalyKind(
            "lost-write",
            "lost",
            "log",
            "an acknowledged record that a later complete read does not contain",
            (_LOSS,),
        ),
        AnomalyKind(
            "duplicate",
            "duplicated",
            "log",
            "one record at two offsets of a partition",
            (_DUPLICATES,),
        ),
        AnomalyKind(
            "reordered",
            "reordered",
            "log",
            "one producer's records in a partition's log out of the order it sent them",
            ((("PartitionOrder", "records reached the log out of send order"),),),
        ),
        AnomalyKind(
            "nonmonotonic-send",
            "acknowledged out of order",
            "log",
            "a producer's later send acknowledged at a lower offset than an earlier one",
            ((("PartitionOrder", "a retried batch was acknowledged after a later one"),
              *_REUSE),),
        ),
        AnomalyKind(
            "inconsistent-offsets",
            "inconsistent offsets",
            "log",
            "one offset observed holding two different records",
            ((*_REUSE, *_LOG_CHANGES),),
        ),
        AnomalyKind(
            "poll-skip",
            "skipped",
            "log",
            "a reader's successive records jump over records known to lie between them",
            ((*_DUPLICATES, *_REUSE, *_LOG_CHANGES),),
        ),
        AnomalyKind(
            "nonmonotonic-poll",
            "read backwards",
            "log",
            "a reader's successive records go back or repeat in the partition's order",
            ((*_DUPLICATES, *_REUSE, *_LOG_CHANGES),),
        ),
        AnomalyKind(
            "aborted-read",
            "failed send read",
            "log",
            "a record whose send failed definitely was read",
            ((("DefiniteFailureAbsent", "a send reported as not written was written"),),),
        ),
        AnomalyKind(
            "group:lost-write",
            "never processed",
            "group",
            "an acknowledged record the consumer group never processed",
            (_GROUP_SKIP, _LOSS),
        ),
        AnomalyKind(
            "group:poll-skip",
            "skipped by the group",
            "group",
            "the group's successive records jump over records known to lie between them",
            (_GROUP_SKIP, (*_DUPLICATES, *_REUSE)),
        ),
        AnomalyKind(
            "group:duplicate-delivery",
            "processed twice",
            "group",
            "one record (partition, offset) processed twice by the group",
            ((("AtMostOnce", "a record was processed twice"),),),
        ),
        AnomalyKind(
            "txn:aborted-read",
            "aborted read (read_committed)",
            "txn",
            "a read_committed consumer returned a record of an aborted or fenced transaction",
            ((("NoAbortedRead", "read_committed returned a record of an aborted transaction"),),),
        ),
        AnomalyKind(
            "txn:partial",
            "partly visible transaction",
            "txn",
            "read_committed returned some records of a transaction and not others",
            ((("AtomicCommit", "a transaction was visible on one partition, aborted on another"),
              ("CommittedNotLost", "part of a committed transaction was lost or aborted")),),
        ),
        AnomalyKind(
            "txn:committed-missing",
            "committed transaction missing",
            "txn",
            "a transaction whose commit returned is not whole in read_committed",
            ((("CommittedNotLost", "a committed transactional record was lost or aborted"),),),
        ),
        AnomalyKind(
            "txn:zombie-not-fenced",
            "zombie not fenced",
            "txn",
            "the paused instance's commit succeeded, or failed without a fencing error, after "
            "a newer instance of its transactional.id initialised",
            ((("ZombieFenced", "an older producer epoch appended or committed"),),),
        ),
        AnomalyKind(
            "group:nonmonotonic-poll",
            "group went back",
            "group",
            "the group's successive records go back in the partition's order",
            ((("AtMostOnce", "the group re-read records it had processed"),), _DUPLICATES),
        ),
    )
}


@dataclass(frozen=True)
class Fault:
    """A fault the harness injects and the model bounds that stand for it.

    ``bounds`` maps a model run (a model name, or ``model#tag`` for a separate run of the
    same model) to the bounds this fault needs in it.  Faults that need the same run are
    merged by taking the larger bound: a run of many rounds is predicted with the faults
    of one round, and the report says so.  ``injected_by`` names the nemesis actions of a
    history (the scenarios' and the soak's; a transactions run's
    :meth:`~.txn_scenario.TxnRun.nemesis_actions`) that show the fault was injected.
    """

    name: str
    description: str
    bounds: Mapping[str, Mapping[str, int | str]]
    injected_by: tuple[str, ...] = ()


FAULTS: dict[str, Fault] = {
    f.name: f
    for f in (
        Fault(
            "broker-kill",
            "SIGKILL of a broker process, restarted later on its data (page cache survives)",
            {"replication": {"crashes": 1}, "producer": {"crashes": 1},
             "transactions": {"crashes": 1}},
            ("kill", "kill-broker"),
        ),
        Fault(
            "broker-kill-overlapping",
            "two broker processes down at once",
            {"replication": {"crashes": 2}, "producer": {"crashes": 1}},
            ("kill-broker",),
        ),
        Fault(
            # Kafka: PartitionChangeBuilder.electPreferredLeader (ElectLeaders, KIP-460); the
            # models' leader_changes bound, a move to any live ISR member, includes it
            "leader-move",
            "a leadership move without a crash: a preferred-leader election",
            {"replication": {"leader_changes": 1}, "producer": {"leader_changes": 1}},
            ("preferred-election",),
        ),
        Fault(
            "controller-kill",
            "SIGKILL of a KRaft controller process, restarted later",
            {"controller#crash": {"crashes": 1, "restarts": 1}},
            ("kill-controller",),
        ),
        Fault(
            "pause",
            "SIGSTOP of a process for a while, then SIGCONT (a node cut off from everyone)",
            {"controller": {"isolations": 1}, "producer": {"crashes": 1}},
            ("pause", "pause-broker"),
        ),
        Fault(
            "leader-isolated",
            "the partition leader cut off from the controller quorum and the other brokers; "
            "clients still reach it",
            {"controller": {"isolations": 1}},
            ("isolate", "isolate-leader"),
        ),
        Fault(
            "minority-controller",
            "one controller cut off from the other controllers and the brokers",
            {"controller": {"isolations": 1}},
            ("isolate-controller",),
        ),
        Fault(
            "follower-cut",
            "a follower cut off from its leader (it still reaches the controllers)",
            {"controller": {"isolations": 1}, "producer": {"crashes": 1}},
            ("cut", "cut-follower"),
        ),
        Fault(
            "client-cut",
            "the clients cut off from a leader: requests time out",
            {"producer": {"lost_responses": 1}},
            ("cut-clients",),
        ),
        Fault(
            "lost-response",
            "responses from a leader to the clients dropped while requests get through",
            {"producer": {"lost_responses": 1}},
            ("drop-responses",),
        ),
        Fault(
            "producer-zombie",
            "a transactional producer SIGSTOPped with its transaction open while a newer "
            "instance of its transactional.id initialises, then resumed",
            {"transactions": {"instances": 2}},
            ("pause-zombie",),  # the transactions run's step (TxnRun.nemesis_actions)
        ),
        Fault(
            "consumer-crash",
            "SIGKILL of a consumer group member, a new member joins",
            {"group": {"crashes": 1, "rejoins": 1}},
            ("kill-consumer",),
        ),
    )
}


def together(faults: Iterable[str]) -> bool:
    """Whether one model run stands for all of ``faults`` at once: each fault has bounds in
    that run and no two of them the same bound (:func:`plan` merges a shared bound by the
    larger value, so two faults on it count as one).  One fault is always together.  The
    run's presence in a plan (transactional or producer-less configurations drop some) is
    not checked."""
    names = sorted(set(faults))
    if len(names) < 2:
        return True
    for key in set.intersection(*(set(FAULTS[f].bounds) for f in names)):
        bounds = [set(FAULTS[f].bounds[key]) for f in names]
        if sum(len(b) for b in bounds) == len(set().union(*bounds)):
            return True
    return False


@dataclass(frozen=True)
class RunConfig:
    """What a real-cluster run used: the settings the predictions depend on."""

    acks: str = "all"
    min_insync_replicas: int = 2
    replication_factor: int = 3
    unclean: bool = False
    idempotence: bool = True
    max_in_flight: int = 5
    partitions: int = 1
    layout: str = "combined"  # combined | split
    elr: int | None = None  # eligible.leader.replicas.version as the cluster reported it
    producers: bool = True
    commit: str | None = None  # the consumer group's commit strategy, if a group ran
    transactional: bool = False  # transactional producers and read_committed readers only

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict."""
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunConfig:
        """Inverse of :meth:`to_json`; an unknown key or a value of the wrong JSON type is
        refused (ValueError): a misspelt key would otherwise predict for the default."""
        hints = typing.get_type_hints(cls)
        for key, value in data.items():
            if key not in hints:
                close = difflib.get_close_matches(str(key), list(hints), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; known: {sorted(hints)}"
                raise ValueError(f"unknown run config key {key!r}{hint}")
            # bool is not an int here, nor an int a bool: exact JSON types only
            types = typing.get_args(hints[key]) or (hints[key],)
            if type(value) not in types:
                names = " or ".join("null" if t is type(None) else t.__name__ for t in types)
                raise ValueError(f"run config {key}={value!r}: not {names}")
        return cls(**data)


#: The largest partition count each model is run with (its state space grows fast).
PARTITION_CAP = {"replication": 1, "controller": 1, "producer": 1, "group": 3,
                 "transactions": 2}
#: The replication factor the transactions model is run with: with RF=2 and a crash the
#: state space is beyond an exhaustive run here, with RF=1 the crash of the one broker is
#: the coordinator's failover (it reloads its log at a new coordinator epoch).
TXN_RF_CAP = 1
#: The replication factor the producer model is run with (RF=3 takes minutes).
PRODUCER_RF_CAP = 2
#: What each group commit strategy of the harness is in the group model.
COMMITS = {
    "after": {"commit": "sync-after-processing"},
    "before": {"commit": "before-processing"},
    "auto": {"commit": "auto"},
    "auto-store-on-return": {"commit": "before-processing"},
}


@dataclass(frozen=True)
class ModelRun:
    """One exhaustive model run: model, Kafka settings, bounds, and why it is made."""

    model: str
    settings: tuple[tuple[str, str], ...]
    bounds: tuple[tuple[str, int | str], ...]
    stands_for: tuple[str, ...]
    abstractions: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict."""
        return {
            "model": self.model,
            "settings": dict(self.settings),
            "bounds": dict(self.bounds),
            "stands_for": list(self.stands_for),
            "abstractions": list(self.abstractions),
        }


@dataclass
class RunOutcome:
    """The result of one model run: per property, the explorer's verdict (holds, violated,
    unknown, not covered, ...)."""

    run: ModelRun
    verdicts: dict[str, str]
    steps: dict[str, int]
    distinct_states: int
    complete: bool
    seconds: float
    never_injected: tuple[str, ...] = ()  # faults its bounds offered whose actions never fired
    # not checked because they could not fail: the bounds rule out their premise
    # (Property.vacuous) or it never arises (Property.needs), so the route to the anomaly
    # they guard does not exist in this run
    vacuous: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict."""
        return {
            **self.run.to_json(),
            "verdicts": dict(self.verdicts),
            "steps": dict(self.steps),
            "distinct_states": self.distinct_states,
            "complete": self.complete,
            "seconds": round(self.seconds, 2),
            "never_injected": list(self.never_injected),
            "vacuous": list(self.vacuous),
        }


@dataclass
class KindPrediction:
    """What the model runs say about one anomaly kind."""

    kind: str
    status: str  # possible | impossible | not covered
    because: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict."""
        return {"kind": self.kind, "status": self.status, "because": list(self.because)}


@dataclass
class Prediction:
    """Predicted anomaly kinds for one configuration and fault set, with the runs behind them."""

    config: RunConfig
    faults: tuple[str, ...]
    outcomes: list[RunOutcome]
    kinds: dict[str, KindPrediction]

    def status(self, kind: str) -> str:
        """possible | impossible | not covered."""
        return self.kinds[kind].status

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict."""
        return {
            "config": self.config.to_json(),
            "faults": list(self.faults),
            "runs": [o.to_json() for o in self.outcomes],
            "kinds": {k: p.to_json() for k, p in self.kinds.items()},
        }


def _merge(bounds: dict[str, int | str], extra: Mapping[str, int | str]) -> None:
    """Merge a fault's bounds into a run's: the larger count wins, a word replaces."""
    for k, v in extra.items():
        old = bounds.get(k)
        if isinstance(v, int) and isinstance(old, int):
            bounds[k] = max(old, v)
        else:
            bounds[k] = v


def plan(config: RunConfig, faults: Iterable[str]) -> list[ModelRun]:
    """The model runs that predict what ``config`` under ``faults`` may show."""
    names = sorted(set(faults))
    unknown = [f for f in names if f not in FAULTS]
    if unknown:
        raise ValueError(f"unknown faults {unknown}; known: {sorted(FAULTS)}")
    by_run: dict[str, dict[str, int | str]] = {}
    why: dict[str, list[str]] = {}
    for name in names:
        for key, extra in FAULTS[name].bounds.items():
            _merge(by_run.setdefault(key, {}), extra)
            why.setdefault(key, []).append(name)
    if config.transactional:
        # Only the transactions model speaks of transactional anomalies: the runs of
        # the other models (kept by the faults' tables) are left out.
        by_run = {k: v for k, v in by_run.items() if k == "transactions"}
        by_run.setdefault("transactions", {})
    else:
        by_run.pop("transactions", None)
    if "producer" not in by_run and config.producers:
        by_run["producer"] = {}
    if "group" not in by_run and config.commit is not None:
        by_run["group"] = {}
    acks = "all" if config.acks in ("all", "-1") else config.acks
    log_settings = {
        "acks": acks,
        "min.insync.replicas": str(config.min_insync_replicas),
        "unclean.leader.election.enable": str(config.unclean).lower(),
    }
    runs: list[ModelRun] = []
    order = ("replication", "controller", "producer", "group", "transactions")
    for key in sorted(by_run, key=lambda k: (order.index(k.split("#")[0]), k)):
        model = key.split("#")[0]
        if model == "producer" and not config.producers:
            continue
        if model == "group" and config.commit is None:
            continue
        bounds = dict(by_run[key])
        settings: dict[str, str] = {}
        notes: list[str] = []
        cap = PARTITION_CAP[model]
        parts = min(config.partitions, cap)
        if parts < config.partitions:
            notes.append(
                f"partitions={parts} (the topic has {config.partitions}; partitions replicate "
                "independently)"
            )
        if model in ("replication", "controller", "producer"):
            settings.update(log_settings)
        if model == "replication":
            settings["replication.factor"] = str(config.replication_factor)
            if config.elr is not None:
                settings["eligible.leader.replicas.version"] = str(config.elr)
            bounds.setdefault("records", 2)
            bounds["crash_kind"] = "process"
            bounds["partitions"] = parts
        elif model == "controller":
            split = config.layout == "split" or config.replication_factor < 3
            settings["process.roles"] = "broker" if split else "broker,controller"
            if split and config.layout != "split":
                notes.append(
                    "controllers run as separate nodes (the model has one broker per replica "
                    f"and the topic has {config.replication_factor})"
                )
            bounds.update(brokers=config.replication_factor, records=1, partitions=parts)
            for fault_bound in ("crashes", "restarts", "isolations"):
                bounds.setdefault(fault_bound, 0)
            if config.elr:
                notes.append("eligible.leader.replicas.version is not a setting of this model")
        elif model == "producer":
            rf = min(config.replication_factor, PRODUCER_RF_CAP)
            settings.update(
                {
                    "enable.idempotence": str(config.idempotence).lower(),
                    "max.in.flight.requests.per.connection": str(config.max_in_flight),
                    "replication.factor": str(rf),
                    "min.insync.replicas": str(min(config.min_insync_replicas, rf)),
                }
            )
            if rf < config.replication_factor:
                notes.append(
                    f"replication.factor={rf} (the topic has {config.replication_factor})"
                )
            bounds.setdefault("lost_responses", 1)
            bounds.setdefault("crashes", 0)
            bounds.update(records=2, batch_records=1, partitions=parts, retry_budget=3)
            if config.elr:
                notes.append("eligible.leader.replicas.version is not a setting of this model")
            why.setdefault(key, []).append("retries after timeouts")
        elif model == "transactions":
            rf = min(config.replication_factor, TXN_RF_CAP)
            settings = {"transactional.id": "app", "isolation.level": "read_committed",
                        "replication.factor": str(rf), "min.insync.replicas": "1"}
            if rf < config.replication_factor:
                notes.append(f"replication.factor={rf} (the topic has "
                             f"{config.replication_factor}): a broker crash stops and "
                             "reloads the coordinator instead of moving it")
            bounds.setdefault("instances", 1)
            bounds.setdefault("crashes", 0)
            bounds.update(partitions=parts, aborts=1)
            why.setdefault(key, []).append("an application abort")
        elif model == "group":
            settings.update({"auto.offset.reset": "earliest"})
            strategy = COMMITS.get(str(config.commit), {"commit": "sync-after-processing"})
            if strategy["commit"] != "auto":
                settings["enable.auto.commit"] = "false"
            bounds.update(strategy)
            bounds.update(records=2, partitions=parts, consumers=2)
        runs.append(
            ModelRun(
                model,
                tuple(sorted(settings.items())),
                tuple(sorted(bounds.items())),
                tuple(why.get(key, [])),
                tuple(notes),
            )
        )
    return runs


ModelFactory = Callable[[str, Mapping[str, str], Mapping[str, Any]], Model]
#: Outcomes by (factory, model, settings, bounds): each distinct model run is made once.
_CACHE: dict[tuple[Any, ...], RunOutcome] = {}


def default_factory(model: str, settings: Mapping[str, str], bounds: Mapping[str, Any]) -> Model:
    """Build a model as the CLI would (kafkacheck.testing.make_model)."""
    from kafkacheck.testing import make_model

    return make_model(model, settings, **dict(bounds))


def run_model(
    run: ModelRun, factory: ModelFactory | None = None, max_seconds: float = 900.0
) -> RunOutcome:
    """Run one model exhaustively (breadth-first) and read every property's verdict (cached)."""
    from kafkacheck.explorer.bfs import breadth_first

    make = factory or default_factory
    key = (make, run.model, run.settings, run.bounds)
    if key in _CACHE:
        cached = _CACHE[key]
        return RunOutcome(run, cached.verdicts, cached.steps, cached.distinct_states,
                          cached.complete, cached.seconds, cached.never_injected,
                          cached.vacuous)
    model = make(run.model, dict(run.settings), dict(run.bounds))
    t0 = time.monotonic()
    # Reachability and liveness say nothing about what a history may show: only the
    # ``always`` properties are checked (no state graph is kept for liveness), with the
    # sometimes-properties they rest on (Property.needs), which mark them vacuous.
    always = [p.name for p in model.properties() if p.kind == "always"]
    result = breadth_first(model, always, max_seconds=max_seconds)
    verdicts: dict[str, str] = {}
    steps: dict[str, int] = {}
    for prop in result.properties:
        # the explorer's own verdict: a run under a setting the model does not cover (it ran
        # under Kafka's default instead) is "not covered", never "holds" or "violated"
        verdicts[prop.name] = result.verdict(prop)
        violation = result.violation(prop.name)
        if verdicts[prop.name] == "violated" and violation is not None \
                and violation.trace is not None:
            steps[prop.name] = len(violation.trace)
    outcome = RunOutcome(
        run, verdicts, steps, result.distinct_states, result.complete, time.monotonic() - t0,
        result.fault_model.never_injected,
        tuple(sorted({*result.vacuous(), *(p.name for p in result.properties if p.vacuous)})),
    )
    _CACHE[key] = outcome
    return outcome


def judge_kinds(outcomes: list[RunOutcome]) -> dict[str, KindPrediction]:
    """Each anomaly kind's status from the property verdicts of the runs."""
    out: dict[str, KindPrediction] = {}
    for kind in KINDS.values():
        allowed = dict(kind.allowed_by)
        pred = KindPrediction(kind.id, NOT_COVERED)
        cannot_fail: list[str] = []  # the vacuous properties' notes, kept if it is impossible
        checked: set[str] = set()
        unknown = False
        for o in outcomes:
            for prop, verdict in o.verdicts.items():
                if prop not in allowed:
                    continue
                if prop in o.vacuous:
                    # its premise never arises: this route to the kind does not exist here,
                    # but the property decides nothing (it is not counted as checked, so a
                    # cause resting on it alone stays not covered)
                    cannot_fail.append(f"{o.run.model}: {prop} not checked (could not fail: "
                                       "its premise never arises in this run)")
                    pred.because.append(cannot_fail[-1])
                    continue
                checked.add(prop)
                if verdict == "violated":
                    pred.status = POSSIBLE
                    steps = o.steps.get(prop)
                    pred.because.append(
                        f"{o.run.model}: {prop} violated"
                        + (f" ({steps} steps)" if steps else "")
                        + f": {allowed[prop]}"
                    )
                elif verdict != "holds":  # unknown, not covered, not checked
                    unknown = True
                    pred.because.append(f"{o.run.model}: {prop} {verdict}")
                elif o.never_injected:  # a holds that never met the fault it stands for
                    unknown = True
                    pred.because.append(f"{o.run.model}: {prop} holds only without "
                                        f"{', '.join(o.never_injected)} (never injected)")
        # a cause no run checked (the group's processing when no group model ran) leaves the
        # kind open, whatever the other causes' properties say
        unchecked = [cause for cause in kind.causes if not checked & {p for p, _ in cause}]
        if pred.status != POSSIBLE and unchecked:
            pred.because += [f"no model run checks {' or '.join(p for p, _ in cause)}: "
                             f"{cause[0][1]}" for cause in unchecked]
        elif pred.status != POSSIBLE and not unknown:
            pred.status = IMPOSSIBLE
            pred.because = [
                f"{o.run.model}: {p} holds ({o.distinct_states:,} states)"
                for o in outcomes
                for p, v in o.verdicts.items()
                if p in allowed and v == "holds"
            ] + cannot_fail
        out[kind.id] = pred
    return out


def predict(
    config: RunConfig,
    faults: Iterable[str],
    factory: ModelFactory | None = None,
    max_seconds: float = 900.0,
) -> Prediction:
    """Plan, run and read the model runs for one real-cluster configuration and fault set."""
    names = tuple(sorted(set(faults)))
    outcomes = [run_model(r, factory, max_seconds) for r in plan(config, names)]
    return Prediction(config, names, outcomes, judge_kinds(outcomes))
