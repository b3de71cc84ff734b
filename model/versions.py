"""Kafka release numbers: which ones kafkacheck knows, and how they compare.

A check runs against one Kafka version (``--kafka-version``, default the newest release
modelled).  The version picks the partition rule set (``model/cluster/partition.py``:
one subclass per KIP or fix that changed a rule) and the defaults of settings whose
default changed between releases (``model/settings.py``).  Patch releases behave as
their minor release here (3.0.2 as 3.0.0), except for the fixes backported to
it (``FIXES``);
0.10 stands for 0.10.1 and 0.10.2, whose consumer defaults KIP-62 set (0.10.0 is
refused).
"""

from __future__ import annotations

Version = tuple[int, int]

RELEASES: tuple[Version, ...] = (
    (0, 10), (0, 11), (1, 0), (1, 1),
    (2, 0), (2, 1), (2, 2), (2, 3), (2, 4), (2, 5), (2, 6), (2, 7), (2, 8),
    (3, 0), (3, 1), (3, 2), (3, 3), (3, 4), (3, 5), (3, 6), (3, 7), (3, 8), (3, 9),
    (4, 0), (4, 1), (4, 2), (4, 3), (4, 4),
)
DEFAULT = "4.4"


def text(version: Version) -> str:
    """A version tuple as Kafka writes it: (3, 6) -> '3.6'."""
    return f"{version[0]}.{version[1]}"


def parse(value: str) -> Version:
    """'3.6' (or '3.6.1', '0.10.2.1') as (3, 6); ValueError with a one-line reason otherwise.

    Releases before 1.0 have four numbers (0.10.2.1), later ones three (3.6.1).
    """
    parts = value.strip().split(".")
    most = 4 if parts[0] == "0" else 3
    if not 2 <= len(parts) <= most or not all(p.isascii() and p.isdigit() for p in parts):
        raise ValueError(f"invalid Kafka version {value!r}: expected a release such as "
                         f"3.6 or {DEFAULT}")
    version = (int(parts[0]), int(parts[1]))
    # Releases before 1.0 have four numbers: 0.11.2 is no release (0.11.0.2 is).
    if version == (0, 11) and len(parts) > 2 and parts[2] != "0" or \
            version == (0, 10) and len(parts) > 2 and parts[2] not in ("0", "1", "2"):
        raise ValueError(f"unknown Kafka version {value!r}: releases before 1.0 have four "
                         "numbers (0.11.0.2, 0.10.2.1)")
    if version == (0, 10) and len(parts) > 2 and parts[2] == "0":
        # KIP-62 (0.10.1): max.poll.interval.ms, session.timeout.ms 30 s -> 10 s and
        # max.poll.records MAX_VALUE -> 500 (ConsumerConfig 0.10.0.0 vs 0.10.1.0).
        raise ValueError(f"unknown Kafka version {value!r}: kafkacheck's 0.10 is 0.10.1 and "
                         "0.10.2 (0.10.0 had the consumer defaults and liveness from before "
                         "KIP-62)")
    if version not in RELEASES:
        known = f"{text(RELEASES[0])} to {text(RELEASES[-1])}"
        raise ValueError(f"unknown Kafka version {value!r}: kafkacheck models releases "
                         f"{known}")
    line = (*version, int(parts[2])) if version == (0, 10) and len(parts) > 2 else version
    last = LAST_PATCH.get(line)
    if last is not None and len(parts) == most and patch(value) > last:
        line_text = ".".join(parts[:-1])
        raise ValueError(f"unknown Kafka version {value!r}: the newest {line_text} release "
                         f"kafkacheck knows is {line_text}.{last} (releases as of "
                         f"{RELEASES_READ})")
    return version


# The newest patch release of each line: Kafka's release tags for the lines the git mirror
# closed (0.11.0.3 was released after the mirror's tags), and from 3.7 Maven Central's
# org.apache.kafka:kafka-clients maven-metadata.xml as read on RELEASES_READ.  A patch release
# past these is refused, not taken as its line: kafkacheck cannot know what it changed.
LAST_PATCH: dict[tuple[int, ...], int] = {
    (0, 10, 1): 1, (0, 10, 2): 2, (0, 11): 3, (1, 0): 2, (1, 1): 1, (2, 0): 1, (2, 1): 1,
    (2, 2): 2, (2, 3): 1, (2, 4): 1, (2, 5): 1, (2, 6): 3, (2, 7): 2, (2, 8): 2, (3, 0): 2,
    (3, 1): 2, (3, 2): 3, (3, 3): 2, (3, 4): 1, (3, 5): 2, (3, 6): 2,
    (3, 7): 2, (3, 8): 1, (3, 9): 2, (4, 0): 2, (4, 1): 2, (4, 2): 2, (4, 3): 2, (4, 4): 0,
}
RELEASES_READ = "2026-12-04"  # when Maven Central's list of releases was read


# Fixes that changed a modelled rule: JIRA -> (the release that shipped it, and the older
# lines that got it in a patch release: (minor release, first patch with it), ...).
# ``has_fix`` reads them; a rule that depends on one asks for it by its JIRA.
FIXES: dict[str, tuple[Version, tuple[tuple[Version, int], ...]]] = {
    # ProducerConfig.postProcessAndValidateIdempotenceConfigs (with KAFKA-13673): 3.2, and
    # 3.0.1 and 3.1.1 (git log 3.0.0..3.0.1 and 3.1.0..3.1.1 of ProducerConfig.java).
    "KAFKA-13598": ((3, 2), (((3, 0), 1), ((3, 1), 1))),
    # Worker.producerConfigs / baseProducerConfigs set enable.idempotence=false for
    # Connect's producers: 3.2.0, 3.0.2 and 3.1.1 (git tag --contains 9f3c9120396,
    # 76d7e811af8, 9656bbd4634; trunk 6ce69021fd1 is in 3.3.0).
    "KAFKA-13759": ((3, 2), (((3, 0), 2), ((3, 1), 1))),
    # RoundRobinPartitioner: one counter value per record (PR #17620, 4.0: KafkaProducer
    # asks the partitioner once), backported to 3.9.2 (RoundRobinPartitioner.onNewBatch
    # hands back the first choice); read in the kafka-clients sources jars, 3.9.0 to 4.4.0.
    "KAFKA-17632": ((4, 0), (((3, 9), 2),)),
    # The new leader's epoch in its epoch cache (Partition.makeLeader), endOffsetFor below
    # the first cached epoch: 2.1, and 2.0.1 (commit 18b25773b11); the 1.1 branch got it
    # after 1.1.1, its last release (68b1d49f4ea, in no tag).
    "KAFKA-7415": ((2, 1), (((2, 0), 1),)),
    # Partition.maybeExpandIsr also requires the follower's fetch offset to reach the start
    # of the leader's epoch (leaderEpochStartOffsetOpt): 2.1 (commit 70c51633f2f), and
    # 2.0.1 (commit 7a352117c20); the 1.1 branch got it after 1.1.1, its last release.
    "KAFKA-7128": ((2, 1), (((2, 0), 1),)),
    # Client assignors, whose module reproduces the newest code only: StickyAssignor sends
    # each member's generation with its claims and keeps the newest claim of a partition
    # (KIP-341; 2.2.2 hands a paused member's partition to it and to its new owner): 2.3.
    "KAFKA-7026": ((2, 3), ()),
    # CooperativeStickyAssignor sends the generation too, and AbstractStickyAssignor drops a
    # partition two members claim in one generation: 3.0, and 2.8.1 (kafka-clients sources
    # jars 2.7.2, 2.8.1, 2.8.2, 3.0.0).
    "KAFKA-12984": ((3, 0), (((2, 8), 1),)),
    # Fixes after the mirror's snapshot (trunk 2024-10-25): each release and backport read
    # in Maven Central's sources jars of every release from 3.9.0 to 4.4.0 (the compiled
    # class where 4.2.2, 4.3.2 and 4.4.0 have no sources jar), on 2026-12-04.
    # UniformHomogeneousAssignmentBuilder.maybeRevokePartitions keeps a balanced
    # assignment (PR #19677; kafka-group-coordinator): 4.1, and 4.0.1.
    "KAFKA-18688": ((4, 1), (((4, 0), 1),)),
    # PartitionChangeBuilder.canElectLastKnownLeader refuses a fenced last known leader
    # (PR #20200; kafka-metadata): 4.1; no 4.0.x or 3.9.x has it.
    "KAFKA-19522": ((4, 1), ()),
    # PartitionChangeBuilder.maybeUpdateLastKnownLeader remembers the last known leader
    # when the partition loses its leader (PR #20629, a MINOR change; kafka-metadata): 4.2,
    # and 4.1.1; no 4.0.x has it.
    "PR #20629": ((4, 2), (((4, 1), 1),)),
    # Group coordinator, KIP-848 (kafka-group-coordinator): leaving UNREVOKED_PARTITIONS
    # keeps the member epoch (CurrentAssignmentBuilder.build, KAFKA-19974): 4.2; a
    # partition the member revokes itself is not unreleased (computeNextAssignment,
    # KAFKA-19449): 4.2, and 4.0.2 and 4.1.2; an epoch-0 rejoin of a known member is
    # accepted (GroupMetadataManager.throwIfConsumerGroupMemberEpochIsInvalid,
    # KAFKA-19233): 4.2; KIP-1251's assignment epochs relax the offset-commit check
    # (ConsumerGroup.validateOffsetCommit, KAFKA-20066, PR #21692): 4.3.
    "KAFKA-19974": ((4, 2), ()),
    "KAFKA-19449": ((4, 2), (((4, 0), 2), ((4, 1), 2))),
    "KAFKA-19233": ((4, 2), ()),
    # A subscription change alone revokes the unsubscribed topics' partitions
    # (CurrentAssignmentBuilder.updateCurrentAssignment, KAFKA-19431, PR #20055): 4.2 (not
    # in 4.0.2 nor 4.1.2, read in their kafka-group-coordinator sources jars).
    "KAFKA-19431": ((4, 2), ()),
    "KAFKA-20066": ((4, 3), ()),
    # The KIP-848 consumer (kafka-clients): the background thread's reconciliation
    # (AbstractMembershipManager.maybeReconcile(false)) no longer revokes partitions, the
    # application may hold their records (KAFKA-20332): 4.3, and 4.2.1.
    "KAFKA-20332": ((4, 3), (((4, 2), 1),)),
    # TransactionCoordinator.abortTimedOutTransactions fences the epoch (prepareFenceProducerEpoch)
    # before aborting: 1.0, and 0.11.0.2 (commit 5bbfd614d00; 1.0.0: def1a768a63).
    "KAFKA-6119": ((1, 0), (((0, 11), 2),)),
    # Under transaction.version 2 a coordinator fence (a timeout, or InitProducerId over an
    # ongoing transaction) bumps the epoch once, not twice (TransactionCoordinator
    # .endTransaction, PR #19910): 4.1, and 4.0.1 (read in kafka_2.13 4.0.0 and 4.0.1).
    "KAFKA-19367": ((4, 1), (((4, 0), 1),)),
    # KafkaApis.handleWriteTxnMarkersRequest waits for the group coordinator's
    # onTransactionCompleted before it answers (KAFKA-17507, PRs #18168 and #18206): 4.0,
    # and 3.9.1.
    "KAFKA-17507": ((4, 0), (((3, 9), 1),)),
    # WorkerSourceTask fails the task on a failed send instead of committing past it: 2.4,
    # and 2.2.2 and 2.3.1 (producerSendException at those tags, absent at 2.2.1 and 2.3.0;
    # d6c7b75f8d6, 1a5062cc8dd); branches 1.0 to 2.1 got it after their last releases.
    "KAFKA-8586": ((2, 4), (((2, 2), 2), ((2, 3), 1))),
    # KIP-360 (broker side): ProducerAppendInfo.checkSequence accepts any sequence from a
    # producer id with no state, where 2.4 threw UnknownProducerIdException for a first
    # sequence other than 0: 2.5 (commit fecb977b257), with the client's local epoch bump
    # (KAFKA-8805, 5a073fca4cc); neither is in 2.4.1 or earlier patch releases.
    "KAFKA-8710": ((2, 5), ()),
    # KIP-447 (2.5): TxnOffsetCommit carries the member's generation (v3) and OffsetFetch
    # can require stable offsets (v7); before, a transactional.id was the only fencing.
    "KIP-447": ((2, 5), ()),
    # The KRaft controller stops bumping the leader epoch when an ISR shrinks under a
    # leader that stays (PartitionChangeBuilder.triggerLeaderEpochBumpIfNeeded skips it from
    # metadata.version 3.6-IV0, MetadataVersion.isLeaderEpochBumpRequiredOnIsrShrink;
    # commit 8ad0ed3e618, not on branch 3.5): 3.6; 3.3.0 to 3.5.2 bump.  A cluster
    # upgraded to 3.6+ that keeps an older metadata.version still bumps: kafkacheck takes
    # the release's own.
    "KAFKA-15021": ((3, 6), ()),
    # KIP-996 Raft pre-vote (KAFKA-16164; PRs #17807, #18240): 4.0 (kafka-raft sources
    # jars: VoteRequest's PreVote field, ProspectiveState; not in 3.9.2).  Before, a voter --
    # the active controller too -- that gets a Vote request in a higher epoch moves to it
    # (KafkaRaftClient.handleVoteRequest: transitionToUnattached) even while it hears from
    # its leader, and a candidate that cannot win retries in ever higher epochs (3.3 to
    # 3.9: VoteRequest has no PreVote field on branch 3.9, nor on trunk at 2024-10-25).
    "KIP-996": ((4, 0), ()),
    # The KRaft controller reads unclean.leader.election.enable
    # (ConfigurationControlManager.uncleanLeaderElectionEnabledForTopic answered false
    # before; commit 7356328f530, in 3.9.0-rc0 to rc3): 3.9, not in 3.8.1 (not on branch
    # 3.8 nor in tag 3.8.1-rc1).  ZooKeeper-mode controllers always read it.
    "KAFKA-12670": ((3, 9), ()),
    # Kafka Streams checkpointed its changelog's written offsets, not the restored ones,
    # when a task re-initialised under exactly-once (TaskCorruptedException: dirty close,
    # wipe) closed cleanly during its restore: the next init skipped the missing tail
    # (RecordCollectorImpl.close clears them since; PR 15044, cherry-picked as 15177).
    "KAFKA-16017": ((3, 7), (((3, 6), 2),)),
}


def patch(value: str) -> int:
    """The patch number of a release string: '3.1.2' -> 2, '3.1' -> 0, '0.10.2.1' -> 1."""
    parts = value.strip().split(".")
    index = 3 if parts[0] == "0" else 2
    return int(parts[index]) if len(parts) > index else 0


def release(value: str) -> str:
    """A release as kafkacheck names it: '3.6' for 3.6 and 3.6.0, '3.6.1' kept whole (a
    backported fix may apply, ``has_fix``); ValueError as ``parse``."""
    version = parse(value)
    return value.strip() if patch(value) else text(version)


def has_fix(value: str, jira: str) -> bool:
    """Whether the release ``value`` (as given, patch included) has fix ``jira``: it is
    the release that shipped it or later, or a patch release it was backported to."""
    version = parse(value)
    fixed_in, backports = FIXES[jira]
    return version >= fixed_in or any(version == line and patch(value) >= first
                                      for line, first in backports)
