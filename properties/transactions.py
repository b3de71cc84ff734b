"""What Kafka transactions promise, and what they do not.

Promised (KIP-98, the KafkaProducer and KafkaConsumer documentation, KIP-890):

* a ``read_committed`` consumer never receives a record of a transaction that was
  aborted or is still open (it reads up to the last stable offset and drops aborted
  transactions: ``NoAbortedRead``, judged by the application's view: a transaction the
  application aborted or has not asked to commit; one the coordinator aborts after the
  application asked to commit is covered by ``CommittedNotLost`` only once its
  commitTransaction() returned);
* a transaction is all or nothing: once any of its records is visible, none of them is
  aborted (``AtomicCommit``), and every record of a committed transaction becomes visible
  (``CommittedBecomesVisible``) and stays (``CommittedNotLost``);
* a producer fenced by a newer instance with the same transactional.id cannot append or
  commit any more (``ZombieFenced``);
* every transaction ends, and the last stable offset moves on (``TransactionsComplete``,
  ``LsoAdvances``), given fair progress of brokers, coordinator and live producers.

Not promised, and never flagged here (tests show the checker quiet about each):

* isolation between transactions: two transactions' records interleave in a partition,
  and read_committed returns records in offset order, not commit order;
* a transaction visible at once everywhere: its markers reach partitions one at a time,
  so a consumer may see it on one partition before another (``AtomicCommit`` only forbids
  a visible record next to an *aborted* one);
* consecutive offsets: markers and aborted records take offsets a consumer skips;
* anything for ``read_uncommitted``: it reads up to the high watermark, aborted and open
  transactions included (``NoAbortedRead`` is checked for the configured isolation.level
  and fails for read_uncommitted, as documented);
* that commitTransaction() returns: a fenced or timed-out producer gets an error and the
  application learns the outcome only from the data (its commit may or may not stand).
"""

from __future__ import annotations

from typing import Any

from kafkacheck.model.clients import txn_producer as tp
from kafkacheck.model.cluster import partition_txn as ptx
from kafkacheck.model.cluster import txn_coordinator as tc
from kafkacheck.model.cluster.partition import RECORD_MASK
from kafkacheck.properties.base import (
    Property,
    always,
    always_step,
    eventually,
    sometimes,
    vacuous_unless,
)

VISIBLE_OK = (tp.COMMIT_ASKED, tp.COMMITTED)
# Steps that may append a data batch (a produce, or a leader's produce resumed once the
# coordinator added its partition).
APPENDING = frozenset({"Produce", "LateProduce", "TxnLogCommitted"})
# Steps in which an instance's EndTxn may prepare a commit.
COMMITTING = frozenset({"Commit", "EndTxn", "LateEndTxn"})

# Progress a fair scheduler eventually makes: everything but faults, delays and choices.
FAIR = ("InitProducerId", "AddPartitions", "Produce", "Commit", "Abort", "EndTxn", "Acked",
        "AckError", "MarkerWritten", "TxnLogCommitted", "TxnLogAppendFailed", "CompleteTxn",
        "WriteMarker", "AbortTimedOut", "Fetch", "BecomeFollower", "ShrinkIsr", "ExpandIsr",
        "Fence", "Restart", "Elect", "ElrElect", "LastLeaderElect")
# Restart is fair: a crashed broker comes back.  Kafka restarts none (its operator does),
# and without one a sole replica's partitions stay offline and nothing completes, so each
# statement says so where crashes are explored (restarted()).
# The loop's members also rejoin, fetch their offset, poll and commit offsets.
LOOP_FAIR = (*FAIR, "SendOffsets", "Rejoin", "FetchOffset", "Poll", "NewProducer")


def restarted(model: Any) -> str:
    """The restart a liveness statement assumes, where the model's bounds crash brokers."""
    if not model.bound.get("crashes", 0):
        return ""
    return (", assuming each crashed broker is restarted (Kafka restarts none: its operator "
            "does; until then its partitions may stay offline)")


def visible_records(model: Any, state: Any, isolation: str) -> list[tuple[int, int]]:
    """(partition, record) pairs a consumer with ``isolation`` can read now."""
    out = []
    for p in range(model.P):
        read = model.read(state, p, isolation)
        if read:
            out += [(p, rec) for _offset, rec in read]
    return out


def aborted_records(model: Any, state: Any, p: int) -> frozenset[int]:
    """Records of partition p's leader log that an ABORT marker covers."""
    return model.aborted(state, p)


def transaction_properties(model: Any) -> list[Property]:
    """The transaction guarantees, evaluated on the model's states."""
    if model.loop:
        return loop_properties(model)
    isolation = model.isolation

    def no_aborted_read(s: Any) -> bool:
        outcomes = s.outcomes
        return all(outcomes[rec] in VISIBLE_OK
                   for _p, rec in visible_records(model, s, isolation))

    def atomic(s: Any) -> bool:
        visible = {rec for _p, rec in visible_records(model, s, "read_committed")}
        if not visible:
            return True
        return all(not (visible & aborted_records(model, s, p)) for p in range(model.P))

    def not_lost(s: Any) -> bool:
        for rec, outcome in enumerate(s.outcomes):
            if outcome != tp.COMMITTED:
                continue
            for p in range(model.P):
                leader = model._leader(s, p)
                if leader < 0:
                    continue
                if rec not in model.kept(s, p):
                    return False
        return True

    def newer(s: Any, writer: int, epoch: int) -> bool:
        """Another instance of the transactional.id holds a higher epoch than ``epoch``."""
        return any(j != writer and prod.phase not in (tp.NEW, tp.INITIALIZING)
                   and prod.epoch > epoch for j, prod in enumerate(s.producers))

    def zombie_fenced(before: Any, action: tuple, after: Any) -> bool:
        name = action[0]
        if name in COMMITTING:
            writer = int(action[1][1:])
            epoch = before.producers[writer].epoch
            if name == "LateEndTxn":
                epoch = int(action[2].rsplit("e", 1)[1])
            return not (_commit_prepared(model, before, after) and newer(after, writer, epoch))
        if name not in APPENDING:
            return True
        appended = _appended_batch(model, before, action, after)
        if appended is None:
            return True
        return not newer(after, model.txn_of_record(appended.rec)[0], appended.epoch)

    idle, busy, stable, unstable = _progress(model)

    def committed_visible(s: Any) -> bool:
        committed = {rec for rec, o in enumerate(s.outcomes) if o == tp.COMMITTED}
        if not committed:
            return True
        seen: dict[int, int] = {}
        for p in range(model.P):
            read = model.read(s, p, "read_committed")
            if read is None:
                return False
            for _o, rec in read:
                seen[rec] = seen.get(rec, 0) | 1 << p
        return all(seen.get(rec, 0) == model.everyone for rec in committed)

    def some_committed(s: Any) -> bool:
        return any(o == tp.COMMITTED for o in s.outcomes) and not committed_visible(s)

    def some_visible(s: Any) -> bool:
        return bool(visible_records(model, s, "read_committed"))

    def some_filtered(s: Any) -> bool:
        return any(aborted_records(model, s, p) for p in range(model.P)) and \
            any(model.lso(s, p) is not None for p in range(model.P))

    level = f"isolation.level={isolation}"
    props = [
        always("NoAbortedRead",
               f"a consumer with {level} never receives a record of a transaction its "
               "application aborted or has not asked to commit", no_aborted_read,
               source="KIP-98; KafkaConsumer isolation.level; UnifiedLog.lastStableOffset",
               explanation=("read_committed reads up to the last stable offset and drops "
                            "aborted transactions; read_uncommitted reads up to the high "
                            "watermark and sees aborted and open transactions (documented)"),
               narrate=_narrate_read(model)),
        always("AtomicCommit",
               "no transaction has a record visible to read_committed on one partition and "
               "a record aborted on another", atomic,
               source="KIP-98 (atomic multi-partition writes)",
               explanation=("markers of one decision go to every partition of the "
                            "transaction; a record of another transaction swept in, or a "
                            "transaction ended twice, breaks it"),
               # Without an aborted record it cannot fail (instances=1, aborts=0, no
               # timeout or failure): it rests on the witness.
               needs="SomeAbortFiltered"),
        always("CommittedNotLost",
               "every record of a transaction whose commitTransaction() returned stays in "
               "its partition and is never aborted", not_lost,
               source="KIP-98; acks=all with min.insync.replicas",
               explanation=("a committed transaction's records were acknowledged with "
                            "acks=all before the commit; losing one takes a replication "
                            "loss (unclean election, power loss without fsync)")),
        always_step("ZombieFenced",
                    "no batch of a producer instance is appended, and no commit of it "
                    "prepared, once a newer instance of its transactional.id holds a higher "
                    "epoch", zombie_fenced,
                    source="KIP-98 zombie fencing; KIP-890 part 1 (verification)",
                    explanation=("InitProducerId bumps the epoch and aborts the ongoing "
                                 "transaction; a partition that never saw the new epoch "
                                 "accepts the old one unless the leader asks the "
                                 "coordinator first (KIP-890)")),
        eventually("TransactionsComplete",
                   "every transaction the coordinator knows eventually completes (commit or "
                   f"abort){restarted(model)}", idle, trigger=busy, fairness=FAIR,
                   source="TransactionCoordinator; transaction.timeout.ms"),
        eventually("LsoAdvances",
                   "every partition with an unstable transaction eventually becomes stable "
                   "again (the last stable offset reaches the high watermark)"
                   f"{restarted(model)}", stable,
                   trigger=unstable, fairness=FAIR,
                   source="KIP-890 (hanging transactions); UnifiedLog.lastStableOffset",
                   explanation=("a transactional write the coordinator does not know of "
                                "never gets a marker: the LSO stops there for good and "
                                "read_committed consumers stall (a hanging transaction)")),
        eventually("CommittedBecomesVisible",
                   "every record of a committed transaction eventually becomes visible to "
                   f"read_committed on every partition{restarted(model)}", committed_visible,
                   trigger=some_committed, fairness=FAIR, source="KIP-98"),
        sometimes("SomeCommitVisible", "a committed record is visible to read_committed",
                  some_visible),
        sometimes("SomeAbortFiltered", "an aborted record sits in a log, filtered out",
                  some_filtered,
                  explanation="no transaction is ever aborted, so AtomicCommit is not "
                  "checked; set --bound aborts=1 or --bound instances=2 (a newer instance "
                  "aborts the open transaction of the one it fences)"),
    ]
    # newer() looks for another instance of the transactional.id: with one, nothing fences.
    instances = model.I
    return vacuous_unless(
        props, instances >= 2, ("ZombieFenced",),
        f"instances={instances}: no newer instance of the transactional.id ever fences this "
        "one, so this property cannot fail; set --bound instances=2 to check it")


def _commit_prepared(model: Any, before: Any, after: Any) -> bool:
    """This step appended a PrepareCommit record to the transaction log."""
    q = model.TXN
    b, a = before.cluster.parts[q], after.cluster.parts[q]
    if a.leader < 0 or b.leader != a.leader:
        return False
    old, new = b.logs[b.leader], a.logs[a.leader]
    if len(new) != len(old) + 1:
        return False
    rec = model.log_codec.decode(new[-1] & RECORD_MASK)
    return rec.kind == tc.PREPARE and rec.commit


def _appended_batch(model: Any, before: Any, action: tuple, after: Any) -> ptx.Entry | None:
    """The data batch this step appended to a leader's log, if any."""
    for p in range(model.P):
        b, a = before.cluster.parts[p], after.cluster.parts[p]
        if a.leader < 0 or b.leader != a.leader:
            continue
        old, new = b.logs[b.leader], a.logs[a.leader]
        if len(new) == len(old) + 1 and new[:-1] == old:
            e = model.data_codec.decode(new[-1] & RECORD_MASK)
            if e.kind == ptx.DATA:
                return e
    return None


def _narrate_read(model: Any) -> Any:
    def narrate(_model: Any, trace: Any) -> str:
        state = trace.steps[-1].state
        bad = [(p, rec) for p, rec in visible_records(model, state, model.isolation)
               if state.outcomes[rec] not in VISIBLE_OK]
        if not bad:
            return ""
        p, rec = bad[0]
        inst, txn = model.txn_of_record(rec)
        what = tp.OUTCOME_NAMES[state.outcomes[rec]]
        return (f"A {model.isolation} consumer of p{p} reads r{rec}, written by P{inst} in "
                f"its transaction {txn}, which is {what}.")
    return narrate


def _progress(model: Any) -> tuple[Any, Any, Any, Any]:
    """Predicates of the liveness properties both modes share."""

    def idle(s: Any) -> bool:
        return all(m.state not in (tc.ONGOING, tc.PREPARE_COMMIT, tc.PREPARE_ABORT)
                   for m in s.coord.metas) and s.coord.epoch >= 0

    def busy(s: Any) -> bool:
        return any(m.state in (tc.ONGOING, tc.PREPARE_COMMIT, tc.PREPARE_ABORT)
                   for m in s.coord.metas)

    # The data partitions, and the loop's offsets partition: a TxnOffsetCommit the
    # coordinator does not know of hangs there (OffsetFetch with require_stable waits).
    parts = tuple(range(model.P)) + ((model.OFF,) if model.loop else ())

    def stable(s: Any) -> bool:
        for p in parts:
            lso = model.lso(s, p)
            part = s.cluster.parts[p]
            if lso is None or lso < part.hws[part.leader]:
                return False
        return True

    def unstable(s: Any) -> bool:
        for p in parts:
            lso = model.lso(s, p)
            part = s.cluster.parts[p]
            if lso is not None and lso < part.hws[part.leader]:
                return True
        return False

    return idle, busy, stable, unstable


def loop_properties(model: Any) -> list[Property]:
    """Exactly-once of a consume-transform-produce loop (KIP-98, KIP-447)."""
    # The output's readers have the configured isolation.level, as in the application mode:
    # read_uncommitted also returns the output of open and aborted transactions (KIP-98).
    isolation = model.isolation

    def outputs(s: Any) -> dict[int, int]:
        seen: dict[int, int] = {}
        for _p, rec in visible_records(model, s, isolation):
            seen[rec] = seen.get(rec, 0) + 1
        return seen

    committed = model.committed_input

    def offsets_cover_output(s: Any, upto: int | None) -> bool:
        """In transactions the output and its input's offset commit are one write: once no
        transaction is in flight, every input whose output read_committed returns is below
        the committed offset (else the next owner processes it again)."""
        if not model.transactional or upto is None or s.coord.epoch < 0 or any(
                m.state in (tc.ONGOING, tc.PREPARE_COMMIT, tc.PREPARE_ABORT)
                for m in s.coord.metas):
            return True
        return all(k < upto for _p, k in visible_records(model, s, "read_committed"))

    def exactly_once(s: Any) -> bool:
        if any(n > 1 for n in outputs(s).values()):
            return False
        upto = committed(s)
        if not offsets_cover_output(s, upto):
            return False
        if not upto or upto < 0:
            return True
        for k in range(upto):
            p = k % model.P
            if model._leader(s, p) < 0:
                continue
            if k not in model.kept(s, p):
                return False
        return True

    def all_once(s: Any) -> bool:
        seen = outputs(s)
        return all(seen.get(k) == 1 for k in range(model.K))

    def zombie_offsets(before: Any, action: tuple, after: Any) -> bool:
        if action[0] not in ("SendOffsets", "LateSendOffsets", "TxnLogCommitted") or \
                "appended" not in str(action[-1]):
            return True
        q = model.OFF
        b, a = before.cluster.parts[q], after.cluster.parts[q]
        if a.leader < 0 or len(a.logs[a.leader]) <= len(b.logs[b.leader]):
            return True
        e = model.offsets_codec.decode(a.logs[a.leader][-1] & RECORD_MASK)
        if e.kind != ptx.DATA:
            return True
        writer = e.pid
        return before.members[writer].generation == before.group.generation

    idle, busy, stable, unstable = _progress(model)
    mode = "in transactions" if model.transactional else "without transactions"
    props = [
        always("ExactlyOnce",
               f"consuming, transforming and producing {mode}, no input's output is visible "
               f"to {isolation} twice, and every input below the committed offset has its "
               "output in the log, not aborted" + (
                   "; once no transaction is in flight, every input whose output is "
                   "committed is below the committed offset" if model.transactional else ""),
               exactly_once,
               source="KIP-98; KIP-447 (sendOffsetsToTransaction with group metadata)",
               explanation=("with transactions the output and the offset commit are one "
                            "atomic write and a zombie's offsets are refused; without, a "
                            "member that produced but did not commit its offset before a "
                            "rebalance has its input processed again (at-least-once); a "
                            "read_uncommitted reader also sees the output of a zombie's "
                            "open or aborted transaction; under transaction.version 1 a "
                            "delayed TxnOffsetCommit of the same epoch lands in a later "
                            "transaction and moves the committed offset back"),
               narrate=_narrate_loop(model, outputs, committed)),
        always_step("ZombieOffsetsFenced",
                    "a member of an older generation never gets an offset written after the "
                    "rebalance", zombie_offsets,
                    source="KIP-447 (TxnOffsetCommit generation check); "
                           "GroupCoordinator.validateOffsetCommit"),
        eventually("LoopCompletes",
                   f"every input's output is eventually visible to {isolation} exactly once"
                   f"{restarted(model)}",
                   all_once, fairness=LOOP_FAIR, source="KIP-98"),
        eventually("LsoAdvances",
                   f"every partition with an unstable transaction eventually becomes stable"
                   f"{restarted(model)}",
                   stable, trigger=unstable, fairness=LOOP_FAIR,
                   source="UnifiedLog.lastStableOffset"),
        sometimes("SomeOutputVisible", f"an output record is visible to {isolation}",
                  lambda s: bool(outputs(s))),
    ]
    if model.transactional:
        props.insert(3, eventually(
            "TransactionsComplete", "every transaction the coordinator knows eventually "
            f"completes (commit or abort){restarted(model)}", idle, trigger=busy,
            fairness=LOOP_FAIR,
            source="TransactionCoordinator; transaction.timeout.ms"))
    # The group generation moves only by a Rebalance (TransactionsModel._rebalances): without
    # one every member is of the current generation and no offset can be a zombie's.
    rebalances = model.bound["rebalances"]
    props = vacuous_unless(
        props, rebalances > 0, ("ZombieOffsetsFenced",),
        "rebalances=0: the group generation never changes, so no member is ever of an older "
        "one and this property cannot fail; set --bound rebalances=1 to check it")
    # Without a transactional.id nothing is written in a transaction: the LSO is the HW.
    return vacuous_unless(
        props, model.transactional, ("LsoAdvances",),
        "no transactional.id: no record is written in a transaction, so the last stable "
        "offset is always the high watermark and this property cannot fail; set "
        "transactional.id=app to check it")


def _narrate_loop(model: Any, outputs: Any, committed: Any) -> Any:
    def narrate(_model: Any, trace: Any) -> str:
        state = trace.steps[-1].state
        seen = outputs(state)
        twice = [k for k, n in seen.items() if n > 1]
        if twice and model.transactional and model.isolation == "read_uncommitted":
            return (f"The output of input {twice[0]} is visible twice to read_uncommitted: "
                    "it returns records of open and aborted transactions too.")
        if twice:
            return (f"The output of input {twice[0]} is visible twice: two members "
                    "processed it and both outputs stood.")
        upto = committed(state)
        ahead = [k for _p, k in visible_records(model, state, "read_committed")
                 if upto is not None and k >= upto]
        if model.transactional and ahead:
            return (f"The output of input {ahead[0]} is committed but the group's committed "
                    f"offset is {upto}: the next owner of the input processes it again.")
        return ""
    return narrate
