"""The application's poll loop, shared by both group protocols: poll, process, commit.

One implementation of the consumer-side delivery rules (KafkaConsumer.poll positions and
fetches, auto.offset.reset, the commit strategies, retention under a reader) for the classic
group model and the KIP-848 one: the protocols differ in who owns a partition and which
commits the coordinator accepts, not in how an application polls, processes and commits.
A model mixes ``PollLoop`` in and supplies the protocol's hooks (``consumers_of``,
``_with_member``, ``poll_commit_error``, ``after_commit_failed``, ``_spend``).  Its state
has the fields committed, log_start, log, processed, excused, started, duplicate, budget
(with ``retention``), and each consumer has owned, positions, phase and batch_* fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

from kafkacheck.model.interface import Action, State

# Where the application's poll loop is: in poll() (IDLE), holding polled records (POLLED),
# or between processing and committing them (HALF: processed awaiting commit for
# sync-after-processing, committed awaiting processing for before-processing).
IDLE, POLLED, HALF = range(3)

NO_POSITION = -1
NO_COMMIT = -1
NO_BATCH = -1

COMMIT_STRATEGIES = ("auto", "sync-after-processing", "before-processing", "none")

_M = TypeVar("_M")


def _put(values: tuple, index: int, value: object) -> tuple:
    """A plain tuple (per partition or per consumer) with one element replaced."""
    return values[:index] + (value,) + values[index + 1:]


def offsets_text(start: int, end: int) -> str:
    """Offsets start..end-1 as 'offset 3' or 'offsets 3-4'."""
    return f"offset {start}" if end - start == 1 else f"offsets {start}-{end - 1}"


def idle(m: _M) -> _M:
    """The consumer with its batch done: back in poll()."""
    return m._replace(phase=IDLE, batch_partition=NO_BATCH, batch_start=0,  # type: ignore
                      batch_end=0, batch_records=0)


def auto_commit_enabled(config: Any, commit: str) -> bool:
    """enable.auto.commit is in force: with commit=auto, or set explicitly alongside a
    manual strategy."""
    return bool(config.kafka["enable.auto.commit"]) and (
        commit == "auto" or "enable.auto.commit" in config.explicit)


def commit_problem(config: Any) -> str | None:
    """The commit bound against enable.auto.commit: commit=auto needs it on, and a manual
    strategy with it left at Kafka's default (true) would auto-commit as well
    (ConsumerConfig turns it off only without group.id), so the run must say which."""
    commit = config.bounds.get("commit", "auto")
    if commit == "auto" and not config.kafka["enable.auto.commit"]:
        return ("commit=auto needs enable.auto.commit=true; pick a manual strategy with "
                "--bound commit=sync-after-processing|before-processing|none")
    if commit != "auto" and "enable.auto.commit" not in config.explicit:
        return (f"commit={commit} is a manual strategy, but enable.auto.commit is not set "
                "and Kafka's default (true) would auto-commit too: set "
                "enable.auto.commit=false (commits by the application only) or =true (both)")
    return None


def poll_timeout_problem(bounds: Any) -> str | None:
    """poll_timeouts fire while the application processes a batch (the loop is out of
    poll()): with no records, or with the batch on another thread (processing=async, whose
    loop keeps polling), max.poll.interval.ms never passes, so a run would HOLD with the
    fault asked for never injected."""
    if not bounds.get("poll_timeouts", 0):
        return None
    if not bounds.get("records", 0):
        return ("poll_timeouts needs records >= 1: a poll timeout is modelled while the "
                "application processes a batch between two poll() calls, and with no "
                "records there is none")
    if bounds.get("processing") == "async":
        return ("poll_timeouts with processing=async: the loop keeps calling poll() while "
                "another thread processes, so max.poll.interval.ms never passes")
    return None


class PollLoop:
    """Poll, process and commit (KafkaConsumer, ConsumerConfig), over the model's log."""

    p: int
    log: Any
    commit: str
    auto: bool
    reset: str
    max_poll: int
    _names: tuple[str, ...]
    # KIP-320 position validation (only over a replicated log, from 2.3: the classic group
    # model sets it; consumer positions then carry epochs, committed offsets too).
    validates: bool = False
    # Partitions from this index on were added while the group ran (none by default).
    first_partitions: int = 1 << 30

    # -- hooks the protocol model supplies ---------------------------------------------

    def consumers_of(self, state: Any) -> tuple:
        """Every consumer's state (owned, positions, phase, batch_*)."""
        raise NotImplementedError

    def _with_member(self, state: Any, i: int, m: Any) -> Any:
        raise NotImplementedError

    def poll_commit_error(self, state: Any, i: int) -> str | None:
        """Why consumer i's commit of its positions fails (None: accepted)."""
        raise NotImplementedError

    def after_commit_failed(self, m: Any, error: str) -> Any:
        """The consumer after a CommitFailedException (its batch already dropped)."""
        return m

    def _spend(self, state: Any, fault: str) -> Any:
        raise NotImplementedError

    def created_partitions(self, state: Any) -> int:
        """The partitions the topic has now (all of them unless some are added later)."""
        return self.p

    def add_partitions(self, state: Any) -> Any:
        """The state once every partition exists (only models with added partitions)."""
        raise NotImplementedError

    def part_text(self, p: int) -> str:
        """A partition's name in action labels."""
        return f"p{p}"

    def part_of(self, text: str) -> int:
        """The partition a label names (the inverse of ``part_text``)."""
        return int(text[1:])

    # -- rules mutants override ---------------------------------------------------------

    def store_commit(self, state: Any, committed: tuple[int, ...]) -> Any:
        """The coordinator stores the group's new committed offsets; the log is untouched
        (consuming never deletes: Kafka docs 'Design: The Consumer')."""
        return state._replace(committed=committed)

    def fetch_limit(self, hw: int, leo: int) -> int:
        """How far a consumer's fetch may read: the high watermark
        (ReplicaManager.fetchMessages, FetchIsolation.HIGH_WATERMARK for consumers)."""
        return hw

    # -- commits --------------------------------------------------------------------------

    def _committed_positions(self, state: Any, m: Any) -> tuple[int, ...]:
        """The committed offsets after committing a member's positions (allConsumed)."""
        committed = state.committed
        owned, pos = m.owned, m.positions
        for p in range(self.p):
            if owned >> p & 1 and pos[p] >= 0 and committed[p] != pos[p]:
                committed = _put(committed, p, pos[p])
        return committed

    def _commit_positions(self, state: Any, m: Any) -> Any:
        """Store member m's positions as the group's committed offsets, each with the leader
        epoch of its position when positions are validated (OffsetCommit leaderEpoch)."""
        committed = self._committed_positions(state, m)
        s = self.store_commit(state, committed)
        if self.validates:
            epochs = tuple(m.epochs[p] if committed[p] != state.committed[p] else e
                           for p, e in enumerate(state.committed_epochs))
            s = s._replace(committed_epochs=epochs)
        return s

    def _has_uncommitted(self, state: Any, m: Any) -> bool:
        committed = state.committed
        owned, pos = m.owned, m.positions
        return any(owned >> p & 1 and pos[p] >= 0 and pos[p] != committed[p]
                   for p in range(self.p))

    @staticmethod
    def positioned(m: Any) -> int:
        """The owned partitions that have a fetch position (what a commit carries)."""
        mask = 0
        for p, pos in enumerate(m.positions):
            if pos >= 0 and m.owned >> p & 1:
                mask |= 1 << p
        return mask

    # -- the loop -------------------------------------------------------------------------

    def _poll(self, state: Any, i: int, p: int) -> Iterator[tuple[Action, State]]:
        """KafkaConsumer.poll for partition p: position (committed offset or
        auto.offset.reset, SubscriptionState/OffsetFetcher) then a fetch up to the HW
        (FetchCollector, max.poll.records)."""
        view = self.log.view(state.log, p)
        if view is None:
            return  # no live leader: the fetch fails
        hw, leo = view
        m = self.consumers_of(state)[i]
        pos = m.positions[p]
        lso = state.log_start[p]
        note = ""
        start = pos
        if pos == NO_POSITION:
            committed = state.committed[p]
            if committed != NO_COMMIT:
                start, note = committed, "from committed"
                if self.validates and state.committed_epochs[p] >= 0:
                    start, seek = self._validate(state, p, committed,
                                                 state.committed_epochs[p], lso, hw)
                    note = seek or note
            else:
                start, note = self._reset_to(lso, hw), f"reset {self.reset}"
        elif self.validates and m.epochs[p] >= 0:
            start, note = self._validate(state, p, pos, m.epochs[p], lso, hw)
        if start is not None and (start < lso or start > leo):
            start, note = self._reset_to(lso, hw), f"out of range, reset {self.reset}"
        if start is None:
            return  # NoOffsetForPartitionException / LogTruncationException (reset=none)
        end = min(self.fetch_limit(hw, leo), start + self.max_poll)
        if end <= start and start == pos:
            return
        excused = state.excused
        started = state.started
        if not started >> p & 1:
            # The group's first position on p: records before it are not owed (latest),
            # unless p was added while the group ran (they were written for this group).
            started |= 1 << p
            if start > lso and p < self.first_partitions:
                owed = self.log.read(state.log, p, lso, start) & ~state.processed[p]
                excused = _put(excused, p, excused[p] | owed)
        new_pos = _put(m.positions, p, max(end, start))
        if self.validates:
            # The offsetEpoch of a fetched record; a committed offset's own epoch; unknown
            # after a reset until the next fetch.
            epoch = self.log.epoch_before(state.log, p, end) if end > start \
                else m.epochs[p] if start == pos \
                else state.committed_epochs[p] if start == state.committed[p] else -1
            m = m._replace(epochs=_put(m.epochs, p, epoch))
        if end > start:
            recs = self.log.read(state.log, p, start, end)
            m2 = m._replace(positions=new_pos, phase=POLLED, batch_partition=p,
                            batch_start=start, batch_end=end, batch_records=recs)
            label = ("Poll", self._names[i], self.part_text(p), offsets_text(start, end))
        else:
            m2 = m._replace(positions=new_pos)
            label = ("Poll", self._names[i], self.part_text(p), "none")
        if note:
            label = (*label, note)
        s = state._replace(excused=excused, started=started)
        yield label, self._with_member(s, i, m2)

    def _validate(self, state: Any, p: int, pos: int, epoch: int, lso: int,
                  hw: int) -> tuple[int | None, str]:
        """KIP-320 position validation (SubscriptionState.maybeCompleteValidation): the
        leader's end offset for the position's epoch below the position means the log
        diverged there, so the consumer seeks to it; an epoch the leader does not know
        resets by auto.offset.reset; with none, LogTruncationException (None)."""
        end = self.log.end_offset_for(state.log, p, epoch)
        if end < 0:
            return self._reset_to(lso, hw), f"truncation detected, reset {self.reset}"
        if end < pos:
            if self.reset == "none":
                return None, ""
            return end, f"truncation detected, diverged at {end}"
        return pos, ""

    def _reset_to(self, lso: int, hw: int) -> int | None:
        """auto.offset.reset: earliest = log start, latest = HW (ListOffsets for
        read_uncommitted), none = NoOffsetForPartitionException."""
        if self.reset == "earliest":
            return lso
        if self.reset == "latest":
            return hw
        return None

    def _process_or_commit(self, state: Any, i: int) -> Iterator[tuple[Action, State]]:
        """The application between polls: process the records, commitSync before or after."""
        m = self.consumers_of(state)[i]
        phase = m.phase
        name = self._names[i]
        process_now = (phase == POLLED and self.commit != "before-processing") or \
            (phase == HALF and self.commit == "before-processing")
        if process_now:
            p, recs = m.batch_partition, m.batch_records
            processed = state.processed
            dup = state.duplicate or bool(processed[p] & recs)
            done = self.commit != "sync-after-processing"
            m2 = idle(m) if done else m._replace(phase=HALF)
            s = state._replace(processed=_put(processed, p, processed[p] | recs),
                               duplicate=dup)
            yield (("Process", name, self.part_text(p),
                    offsets_text(m.batch_start, m.batch_end)), self._with_member(s, i, m2))
            return
        # commitSync of every owned position (KafkaConsumer.commitSync()).
        error = self.poll_commit_error(state, i)
        if error is None:
            s = self._commit_positions(state, m)
            m2 = idle(m) if phase == HALF else m._replace(phase=HALF)
            offsets = ", ".join(f"{self.part_text(p)}@{m.positions[p]}" for p in range(self.p)
                                if m.owned >> p & 1 and m.positions[p] >= 0)
            yield ("Commit", name, offsets or "nothing"), self._with_member(s, i, m2)
            return
        # CommitFailedException: the application skips the rest of this batch and polls.
        m2 = self.after_commit_failed(idle(m), error)
        yield ("CommitFailed", name, error), self._with_member(state, i, m2)

    def _auto_commit(self, state: Any, i: int) -> Iterator[tuple[Action, State]]:
        """poll() commits the positions every auto.commit.interval.ms
        (ConsumerCoordinator.maybeAutoCommitOffsetsAsync, CommitRequestManager).

        With group.protocol=consumer, poll() waits until the background thread has taken
        the positions to commit before it fetches more (AsyncKafkaConsumer.poll,
        PollEvent.reconcileAndAutoCommit; KAFKA-18641, PR #18737, read in the 4.0.0
        sources jar).  The 3.7-3.9 early-access consumer did not wait, so a commit could
        pass records not yet returned: kafkacheck refuses that protocol before 4.0."""
        m = self.consumers_of(state)[i]
        if self.auto and self._has_uncommitted(state, m) \
                and self.poll_commit_error(state, i) is None:
            label: Action = ("AutoCommit", self._names[i])
            if m.phase != IDLE:  # processing=async: positions past unprocessed records
                label = (*label, f"{self.part_text(m.batch_partition)} "
                         f"{offsets_text(m.batch_start, m.batch_end)} not processed yet")
            yield label, self._commit_positions(state, m)

    # -- the log ------------------------------------------------------------------------

    def _log_actions(self, state: Any) -> Iterator[tuple[Action, State]]:
        created = self.created_partitions(state)
        for action, sub in self.log.successors(state.log, created):
            yield action, state._replace(log=sub)
        if created < self.p and state.started:
            # While the group runs (it has read), an operator adds partitions
            # (CreatePartitions); producers write to them at once.
            yield ("AddPartitions", f"{created} -> {self.p}"), self.add_partitions(state)
        if state.budget.retention > 0:
            for p in range(self.p):
                view = self.log.view(state.log, p)
                lso = state.log_start[p]
                if view is not None and lso < view[0]:
                    # Retention deletes the oldest segment (UnifiedLog.deleteOldSegments, only
                    # below the HW); a record deleted before anyone processed it is excused.
                    s = self._spend(state, "retention")
                    gone = self.log.read(state.log, p, lso, lso + 1) & ~state.processed[p]
                    excused = _put(state.excused, p, state.excused[p] | gone) if gone \
                        else state.excused
                    s = s._replace(log_start=_put(state.log_start, p, lso + 1), excused=excused)
                    yield ("Retention", self.part_text(p), f"log start {lso + 1}"), s
