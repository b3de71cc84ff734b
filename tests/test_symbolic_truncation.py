"""The truncation lemma the Z3 encoding relies on, checked against the partition rule.

The encoding's BecomeFollower for leader-epoch truncation (KIP-101 + KIP-279) says: the
follower keeps a record exactly when the leader holds it, and ends with a prefix of the
leader's log.  That is not assumed: it is checked here against
``Kip279Truncation.truncation_offset`` on every pair of logs the replication protocol can
produce over three leader epochs (each epoch's leader log extends a prefix of an earlier
one; a follower holds a prefix of some epoch's log; its HW covers only entries the leader
holds).  The 0.11 rule (KIP-101 alone) and the HW rule break the lemma, so the check can fail.
"""

from __future__ import annotations

from itertools import product

import pytest

from kafkacheck.model.cluster import partition as pt

EPOCHS = 3  # leader epochs 1..3; the current leader writes epoch 3
MAX_APPEND = 2  # entries each epoch's leader appends


def _histories() -> set[tuple[tuple[int, ...], ...]]:
    """Every assignment of one log per epoch: H[e] = a prefix of an earlier H + its appends."""
    out: set[tuple[tuple[int, ...], ...]] = {()}
    for epoch in range(1, EPOCHS + 1):
        grown = set()
        for hist in out:
            bases = [()] + [h[:k] for h in hist for k in range(len(h) + 1)]
            for base, extra in product(set(bases), range(MAX_APPEND + 1)):
                log = base + tuple(pt.entry(epoch, epoch * 8 + len(base) + i)
                                   for i in range(extra))
                grown.add((*hist, log))
        out = grown
    return out


def _pairs() -> set[tuple[tuple[int, ...], tuple[int, ...], int]]:
    """(leader log, follower log, follower HW) the protocol can produce."""
    pairs = set()
    for hist in _histories():
        leader = hist[-1]
        for log in hist:
            for k in range(len(log) + 1):
                follower = log[:k]
                common = next((i for i, (a, b) in enumerate(zip(follower, leader, strict=False))
                               if a != b), min(len(follower), len(leader)))
                for hw in range(common + 1):
                    pairs.add((leader, follower, hw))
    return pairs


PAIRS = sorted(_pairs())


def _broken(rules_cls: type[pt.PartitionRules]) -> list[tuple]:
    rules = rules_cls(2, 1, -1, pt.NEVER, track_flush=False)
    base = rules.initial(0)
    out = []
    for leader, follower, hw in PAIRS:
        part = base._replace(logs=(leader, follower), hws=(len(leader), hw), epoch=EPOCHS)
        cut = rules.truncation_offset(part, 1)
        kept = follower[:cut]
        keeps_exactly_what_the_leader_has = all(
            (i < cut) == (i < len(leader) and leader[i] == e) for i, e in enumerate(follower))
        if kept != leader[:len(kept)] or not keeps_exactly_what_the_leader_has:
            out.append((leader, follower, hw, cut))
    return out


def test_the_lemma_is_checked_over_every_protocol_shaped_pair_of_small_logs():
    assert len(PAIRS) == 444


def test_leader_epoch_truncation_keeps_exactly_the_records_the_leader_holds():
    assert _broken(pt.Kip279Truncation) == []


@pytest.mark.parametrize("rule,broken", [(pt.Kip101Truncation, 24), (pt.PartitionRules, 246)])
def test_older_truncation_rules_break_the_lemma_so_the_encoding_weakens_them(rule, broken):
    assert len(_broken(rule)) == broken


def test_kip101_alone_keeps_a_diverging_entry_of_an_epoch_the_leader_never_saw():
    # The leader of epoch 3 holds only epoch 1's entry; the follower holds epoch 2's: the 0.11
    # lookup answers the leader's LEO for the unknown epoch, and the follower keeps its entry.
    leader, follower = (pt.entry(1, 8),), (pt.entry(2, 16),)
    assert (leader, follower, 0, 1) in _broken(pt.Kip101Truncation)


def _cuts(rules_cls: type[pt.PartitionRules]) -> list[tuple[tuple, tuple, int, int]]:
    rules = rules_cls(2, 1, -1, pt.NEVER, track_flush=False)
    base = rules.initial(0)
    return [(leader, follower, hw, rules.truncation_offset(
                base._replace(logs=(leader, follower), hws=(len(leader), hw), epoch=EPOCHS), 1))
            for leader, follower, hw in PAIRS]


def test_kip101_alone_never_drops_a_record_the_leader_holds():
    # The encoding's weaker kip101 relation: has(leader) /\ has(f) => has'(f), has'(f) => has(f).
    for leader, follower, _hw, cut in _cuts(pt.Kip101Truncation):
        assert all(i < cut for i, e in enumerate(follower)
                   if i < len(leader) and leader[i] == e)


def test_the_high_watermark_rule_keeps_exactly_what_is_below_the_followers_hw():
    # The encoding's high-watermark relation: has'(f) == hwk(f).
    for _leader, follower, hw, cut in _cuts(pt.PartitionRules):
        assert cut == min(hw, len(follower))
