"""Which brokers and controllers a configuration cannot tell apart, and renaming states by them.

A renaming is a symmetry of a model only if it maps every transition onto a transition
(and every property verdict onto itself).  Kafka elects the first live ISR replica in a
partition's assignment order (PartitionChangeBuilder, ``first_in(order, ...)``), so a
renaming of brokers is a symmetry only if it maps each partition's assignment order onto a
partition's assignment order, the partitions being renamed with it: with the round-robin
assignment this is a rotation of the brokers when there are as many partitions as brokers,
partitions that share an assignment, or a single broker.  Record ids and their order,
fault budgets and the first brokers' controller roles (combined nodes) are never renamed.
Dedicated KRaft controllers (process.roles=broker) are interchangeable among themselves:
Raft votes, commits and fetches do not depend on a voter's id.

``canonical`` functions return the least renamed state (tuple order): one representative
per class, computed from a list of renamings precompiled into lookup tables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import permutations, product
from operator import itemgetter
from typing import Any, NamedTuple

from kafkacheck.model.cluster.partition import NO_LEADER, PartitionState

_new = tuple.__new__


class Renaming(NamedTuple):
    """Broker b becomes ``brokers[b]``, partition p becomes ``partitions[p]``, controller c
    becomes ``controllers[c]``."""

    brokers: tuple[int, ...]
    partitions: tuple[int, ...]
    controllers: tuple[int, ...] = ()

    def is_identity(self) -> bool:
        """Whether nothing is renamed."""
        return all(v == i for perm in self for i, v in enumerate(perm))


def assignment_renamings(orders: Sequence[tuple[int, ...]], n: int) -> list[Renaming]:
    """Every (broker, partition) renaming that maps each assignment order onto the renamed
    partition's order, the identity included."""
    found = []
    count = len(orders)
    for perm in permutations(range(n)):
        mapped = [tuple(perm[b] for b in order) for order in orders]
        # Partitions with the same assignment may go to each other in any order.
        choices = []
        for p in range(count):
            targets = [q for q in range(count) if orders[q] == mapped[p]]
            if not targets:
                break
            choices.append(targets)
        else:
            for sigma in product(*choices):
                if len(set(sigma)) == count:
                    found.append(Renaming(perm, tuple(sigma)))
    return found


def controller_renamings(orders: Sequence[tuple[int, ...]], n: int, m: int,
                         combined: bool) -> list[Renaming]:
    """Renamings of the controller model: combined nodes rename controllers with their
    brokers (so the controller-hosting brokers must stay among themselves); dedicated
    controllers are renamed freely, independently of the brokers."""
    out = []
    for r in assignment_renamings(orders, n):
        if combined:
            if all(r.brokers[c] < m for c in range(m)):
                out.append(r._replace(controllers=r.brokers[:m]))
        else:
            out += [r._replace(controllers=tau) for tau in permutations(range(m))]
    return out


def _inverse(perm: Sequence[int]) -> tuple[int, ...]:
    """src with src[new] = old."""
    src = [0] * len(perm)
    for old, new in enumerate(perm):
        src[new] = old
    return tuple(src)


def _mask_table(perm: Sequence[int], bits: int) -> tuple[int, ...]:
    """The renamed mask of every mask of ``bits`` bits."""
    table = []
    for mask in range(1 << bits):
        out = 0
        for old, new in enumerate(perm):
            if mask >> old & 1:
                out |= 1 << new
        table.append(out)
    return tuple(table)


def _gather(src: tuple[int, ...]) -> Callable[[tuple], tuple]:
    """A function reordering a per-index tuple: result[new] = t[src[new]]."""
    if len(src) == 1:
        return lambda t: t
    return itemgetter(*src)  # type: ignore[return-value]


class _Tables(NamedTuple):
    """One renaming compiled for the hot path."""

    to: tuple[int, ...]  # index -> new index; to[-1] is NO_LEADER / NO_CONTROLLER (-1)
    mask: tuple[int, ...]  # broker mask -> renamed mask
    gather: Callable[[tuple], tuple]  # per-broker tuple -> renamed
    parts: tuple[int, ...]  # new partition -> old partition
    brokers_moved: bool


def _tables(r: Renaming, n: int) -> _Tables:
    moved = any(v != i for i, v in enumerate(r.brokers))
    return _Tables(r.brokers + (NO_LEADER,), _mask_table(r.brokers, n),
                   _gather(_inverse(r.brokers)), _inverse(r.partitions), moved)


def rename_partition(part: PartitionState, t: _Tables) -> PartitionState:
    """A partition's state with its brokers renamed (logs, HWs and ghosts follow them)."""
    to, mask, gather = t.to, t.mask, t.gather
    (leader, epoch, isr, logs, hws, synced, remote, flushed, pending, committed, acked,
     elr, last) = part
    return _new(PartitionState, (to[leader], epoch, mask[isr], gather(logs), gather(hws),
                                 gather(synced), gather(remote),
                                 gather(flushed) if flushed else flushed, pending, committed,
                                 acked, mask[elr], to[last]))


def replication_canonical(renamings: Sequence[Renaming], n: int,
                          state_cls: type) -> Callable[[Any], Any]:
    """canonical() of the replication model: the least state over the renamings."""
    compiled = [_tables(r, n) for r in renamings if not r.is_identity()]

    def canonical(state: Any) -> Any:
        best = state
        alive, fenced, crashes, moves, record, lost, bounces, parts = state
        for t in compiled:
            mask = t.mask
            a = mask[alive]
            if a > best[0]:
                continue  # the first field already loses
            if t.brokers_moved:
                new_parts = tuple(rename_partition(parts[p], t) for p in t.parts)
            else:
                new_parts = tuple(parts[p] for p in t.parts)
            cand = _new(state_cls, (a, mask[fenced], crashes, moves, record, lost, bounces,
                                    new_parts))
            if cand < best:
                best = cand
        return best

    return canonical


NOTHING_TO_RENAME = ("symmetry=1: nothing here is interchangeable (each partition elects in "
                     "its own replica order; controllers on combined nodes stay with their "
                     "brokers), so every state is explored")


def describe(renamings: Sequence[Renaming], what: str) -> str:
    """The symmetry group in words for results: its size and what it renames."""
    size = len(renamings)
    return (f"states equal up to renaming {what} are explored once "
            f"({size} renamings; counts are of classes)")


def controller_canonical(renamings: Sequence[Renaming], n: int, nodes: int,
                         broker_node: Sequence[int], ctrl_node: Sequence[int],
                         types: dict[str, type]) -> Callable[[Any], Any]:
    """canonical() of the controller model: the least state over the renamings.

    ``types`` names the controller model's state classes (ControllerState, Controller,
    Broker, Image, Registration, Leading), which live in controller.py.
    """
    state_cls, ctrl_cls = types["ControllerState"], types["Controller"]
    broker_cls, image_cls = types["Broker"], types["Image"]
    reg_cls, lead_cls = types["Registration"], types["Leading"]
    compiled = []
    for r in renamings:
        if r.is_identity():
            continue
        node_perm = [0] * nodes
        for b, node in enumerate(broker_node):
            node_perm[node] = broker_node[r.brokers[b]]
        for c, node in enumerate(ctrl_node):
            node_perm[node] = ctrl_node[r.controllers[c]]
        t = _tables(r, n)
        parts_moved = any(q != p for p, q in enumerate(t.parts))
        compiled.append((t, parts_moved, _mask_table(node_perm, nodes),
                         r.controllers + (-1,), _inverse(r.controllers)))

    def views(regs: tuple, t: _Tables, memo: dict) -> tuple:
        """A tuple of registrations (one per partition), renamed; shared ones once."""
        key = id(regs)
        out = memo.get(key)
        if out is None:
            to, mask = t.to, t.mask
            if t.brokers_moved:
                out = tuple(_new(reg_cls, (to[x[0]], x[1], x[2], mask[x[3]], mask[x[4]],
                                           to[x[5]])) for x in (regs[p] for p in t.parts))
            else:
                out = tuple(regs[p] for p in t.parts)
            memo[key] = out
        return out

    def canonical(state: Any) -> Any:
        (alive, cut, crashes, isolations, restarts, moves, slow, record, ctrls, brokers,
         leads, parts, deposed) = state
        best = state
        for t, parts_moved, node_mask, cto, csrc in compiled:
            a = node_mask[alive]
            if a > best[0]:
                continue  # the first field already loses
            if t.brokers_moved or parts_moved:
                memo: dict = {}
                mask, gather, psrc = t.mask, t.gather, t.parts
                new_ctrls = tuple(_new(ctrl_cls, (c[0], cto[c[1]], c[2], _new(image_cls, (
                    mask[c[3][0]], views(c[3][1], t, memo))))) for c in (ctrls[i] for i in csrc))
                new_brokers = gather(tuple(_new(broker_cls, (br[0], br[1], br[2],
                                                             views(br[3], t, memo)))
                                           for br in brokers))
                if t.brokers_moved:
                    new_leads = tuple(gather(tuple(_new(lead_cls, (gather(x[0]), x[1])) if x
                                                   else x for x in leads[p])) for p in psrc)
                    new_parts = tuple(rename_partition(parts[p], t) for p in psrc)
                else:
                    new_leads = tuple(leads[p] for p in psrc)
                    new_parts = tuple(parts[p] for p in psrc)
                deposed_now = tuple(deposed[p] for p in psrc)
            else:
                # Only dedicated controllers move: brokers and partitions stay as they are.
                new_ctrls = tuple(c if c[1] < 0 else _new(ctrl_cls, (c[0], cto[c[1]], c[2], c[3]))
                                  for c in (ctrls[i] for i in csrc))
                new_brokers, new_leads, new_parts, deposed_now = brokers, leads, parts, deposed
            cand = _new(state_cls, (a, node_mask[cut], crashes, isolations, restarts, moves,
                                    slow, record, new_ctrls, new_brokers, new_leads, new_parts,
                                    deposed_now))
            if cand < best:
                best = cand
        return best

    return canonical
