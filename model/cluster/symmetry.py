"""Which brokers and controllers a configuration cannot tell apart, and renaming states by them.

A renaming is a symmetry of a model only if it maps every transition onto a transition
(and every property verdict onto itself).  Kafka elects the first acceptable (unfenced)
ISR replica in a partition's assignment order (PartitionChangeBuilder,
``first_in(order, ...)``), so a renaming of brokers is a symmetry only if it maps each
partition's assignment order onto a partition's assignment order, the partitions being
renamed with it: with the round-robin assignment this is a rotation of the brokers when
there are as many partitions as brokers, partitions that share an assignment, or a single
broker.  Record ids and their order, fault budgets and the first brokers' controller
roles (combined nodes) are never renamed.  Dedicated KRaft controllers
(process.roles=broker) are interchangeable among themselves: Raft votes, commits and
fetches do not depend on a voter's id.

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


def _lazy_least(items: tuple, src: tuple[int, ...], rename: Callable[[Any], Any],
                best: tuple) -> tuple | None:
    """The tuple ``rename(items[src[i]])`` for each i if it is less than ``best``; ``best``
    itself if equal; None if greater.  Renaming stops at the first position that decides."""
    for i, old in enumerate(src):
        x = rename(items[old])
        y = best[i]
        if x == y:
            continue
        if x > y:
            return None
        return (*(rename(items[o]) for o in src[:i]), x,
                *(rename(items[o]) for o in src[i + 1:]))
    return best


def _broker_moves(renamings: Sequence[Renaming], count: int
                  ) -> dict[tuple[int, ...], list[tuple[tuple[int, ...], tuple[int, ...]]]]:
    """Per broker renaming, the partition classes it maps: (target positions, source
    partitions) pairs.  Every bijection from the sources to the targets is among the
    renamings (partitions with the same replica order are interchangeable)."""
    moves: dict[tuple[int, ...], list] = {}
    for r in renamings:
        if r.brokers in moves:
            continue
        classes: dict[int, list[int]] = {}
        for p in range(count):
            classes.setdefault(r.partitions[p], [])
        pairs = []
        done: set[int] = set()
        for p in range(count):
            if p in done:
                continue
            # p's class: the partitions that some renaming with these brokers sends where p
            # goes, i.e. the sources with the same target set.
            targets = {x.partitions[p] for x in renamings if x.brokers == r.brokers}
            sources = sorted(q for q in range(count)
                             if {x.partitions[q] for x in renamings
                                 if x.brokers == r.brokers} == targets)
            done.update(sources)
            pairs.append((tuple(sorted(targets)), tuple(sources)))
        moves[r.brokers] = pairs
    return moves


def replication_canonical(renamings: Sequence[Renaming], n: int,
                          state_cls: type) -> Callable[[Any], Any]:
    """canonical() of the replication model: the least state over the renamings.

    For each broker renaming, the least placement of the partitions among those it may
    take is the renamed partitions of each class in sorted order, so a renaming of the
    brokers costs one renaming of each partition and a sort, whatever the partitions.
    """
    count = len(renamings[0].partitions)
    compiled = []
    for brokers, pairs in _broker_moves(renamings, count).items():
        t = _tables(Renaming(brokers, tuple(range(count))), n)
        rename = (lambda part, t=t: rename_partition(part, t)) if t.brokers_moved else None
        if rename is None and all(len(src) == 1 and src == dst for dst, src in pairs):
            continue  # the identity
        compiled.append((t.mask, rename, pairs))

    def canonical(state: Any) -> Any:
        alive, fenced, crashes, moves, record, lost, bounces, parts = state[:8]
        rest = tuple(state[8:])  # the failure-mode fields: () when symmetry is allowed
        best = state
        for mask, rename, pairs in compiled:
            a = mask[alive]
            if a > best[0]:
                continue  # the first field already loses
            renamed = parts if rename is None else [rename(part) for part in parts]
            new = [None] * count
            for targets, sources in pairs:
                if len(sources) == 1:
                    new[targets[0]] = renamed[sources[0]]
                else:
                    for q, part in zip(targets, sorted(renamed[p] for p in sources),
                                       strict=True):
                        new[q] = part
            cand = _new(state_cls, (a, mask[fenced], crashes, moves, record, lost, bounces,
                                    tuple(new), *rest))
            if cand < best:
                best = cand
        return best

    return canonical


NOTHING_TO_RENAME = ("symmetry=1: nothing here is interchangeable (each partition elects in "
                     "its own replica order; controllers on combined nodes stay with their "
                     "brokers), so every state is explored")


def renamed(renamings: Sequence[Renaming]) -> str:
    """What the renamings move, in words: "brokers and partitions", "controllers", ..."""
    kinds = [kind for kind, i in (("controllers", 2), ("brokers", 0), ("partitions", 1))
             if any(not all(v == j for j, v in enumerate(r[i])) for r in renamings)]
    return ", ".join(kinds[:-1]) + " and " + kinds[-1] if len(kinds) > 1 else "".join(kinds)


def describe(renamings: Sequence[Renaming]) -> str:
    """The symmetry group in words for results: its size and what it renames."""
    return (f"states equal up to renaming {renamed(renamings)} are explored once "
            f"({len(renamings)} renamings)")


def controller_canonical(renamings: Sequence[Renaming], n: int, nodes: int,
                         broker_node: Sequence[int], ctrl_node: Sequence[int],
                         types: dict[str, type]) -> Callable[[Any], Any]:
    """canonical() of the controller model: a least state over the renamings.

    Renamings that move brokers or partitions build whole candidate states.  Dedicated
    controllers (renamed independently of the brokers) are then placed by the least
    (controllers, alive, cut) for each candidate, renaming one controller at a time and
    dropping a renaming at the first controller that compares greater.  Both are
    functions of the class, so their combination is too.
    """
    state_cls, ctrl_cls = types["ControllerState"], types["Controller"]
    broker_cls, image_cls = types["Broker"], types["Image"]
    reg_cls, lead_cls = types["Registration"], types["Leading"]
    m = len(ctrl_node)
    combined = any(node in broker_node for node in ctrl_node)
    same = tuple(range(m))
    full = []  # renamings of brokers/partitions (with their controllers when combined)
    ctrl_only = []  # renamings of dedicated controllers alone
    seen = set()
    for r in renamings:
        key = (r.brokers, r.partitions, r.controllers if combined else same)
        if key not in seen:
            seen.add(key)
            mover = r if combined else r._replace(controllers=same)
            if not mover.is_identity():
                node_perm = [0] * nodes
                for b, node in enumerate(broker_node):
                    node_perm[node] = broker_node[mover.brokers[b]]
                for c, node in enumerate(ctrl_node):
                    node_perm[node] = ctrl_node[mover.controllers[c]]
                full.append((_tables(mover, n), _mask_table(node_perm, nodes),
                             mover.controllers + (-1,), _inverse(mover.controllers)))
        if not combined and r.controllers != same and r.brokers == tuple(range(n)) and \
                r.partitions == tuple(range(len(r.partitions))):
            node_perm = list(range(nodes))
            for c, node in enumerate(ctrl_node):
                node_perm[node] = ctrl_node[r.controllers[c]]
            ctrl_only.append((r.controllers + (-1,), _inverse(r.controllers),
                              _mask_table(node_perm, nodes)))

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

    def renamed(state: Any, t: _Tables, node_mask: tuple, cto: tuple, csrc: tuple) -> Any:
        """The whole state with brokers, partitions (and combined controllers) renamed."""
        (alive, cut, crashes, isolations, restarts, moves, slow, record, ctrls, brokers,
         leads, parts, deposed) = state[:13]
        rest = tuple(state[13:])  # the failure-mode fields: () when symmetry is allowed
        memo: dict = {}
        mask, gather, psrc = t.mask, t.gather, t.parts
        new_ctrls = tuple(_new(ctrl_cls, (c[0], cto[c[1]], c[2], _new(image_cls, (
            mask[c[3][0]], views(c[3][1], t, memo))))) for c in (ctrls[i] for i in csrc))
        new_brokers = gather(tuple(_new(broker_cls, (br[0], br[1], br[2],
                                                     views(br[3], t, memo)))
                                   for br in brokers))
        if t.brokers_moved:
            new_leads = tuple(gather(tuple(_new(lead_cls, (gather(x[0]), x[1])) if x else x
                                           for x in leads[p])) for p in psrc)
            new_parts = tuple(rename_partition(parts[p], t) for p in psrc)
        else:
            new_leads = tuple(leads[p] for p in psrc)
            new_parts = tuple(parts[p] for p in psrc)
        return _new(state_cls, (node_mask[alive], node_mask[cut], crashes, isolations,
                                restarts, moves, slow, record, new_ctrls, new_brokers,
                                new_leads, new_parts, tuple(deposed[p] for p in psrc), *rest))

    def rename_ctrl(c: Any, cto: tuple) -> Any:
        return c if c[1] < 0 else _new(ctrl_cls, (c[0], cto[c[1]], c[2], c[3]))

    def place_controllers(state: Any) -> Any:
        """The least (controllers, alive, cut) over the dedicated controllers' renamings."""
        alive, cut, ctrls = state[0], state[1], state[8]
        best_ctrls, best_nodes = ctrls, (alive, cut)
        for cto, csrc, node_mask in ctrl_only:
            order = 0  # how the renamed controllers compare with the best: -1, 0, 1
            for i, old in enumerate(csrc):
                c, y = ctrls[old], best_ctrls[i]
                if c[0] != y[0]:
                    order = -1 if c[0] < y[0] else 1
                    break
                leader = cto[c[1]]
                if leader != y[1]:
                    order = -1 if leader < y[1] else 1
                    break
                if c[2] != y[2] or c[3] != y[3]:
                    order = -1 if (c[2], c[3]) < (y[2], y[3]) else 1
                    break
            if order > 0:
                continue
            nodes_now = (node_mask[alive], node_mask[cut])
            if order == 0:
                if best_nodes <= nodes_now:
                    continue
            else:
                best_ctrls = tuple(rename_ctrl(ctrls[o], cto) for o in csrc)
            best_nodes = nodes_now
        if best_ctrls is ctrls and best_nodes == (alive, cut):
            return state
        return _new(state_cls, (*best_nodes, *state[2:8], best_ctrls, *state[9:]))

    def canonical(state: Any) -> Any:
        best = place_controllers(state) if ctrl_only else state
        alive = state[0]
        for t, node_mask, cto, csrc in full:
            if not ctrl_only and node_mask[alive] > best[0]:
                continue  # the first field already loses
            cand = renamed(state, t, node_mask, cto, csrc)
            if ctrl_only:
                cand = place_controllers(cand)
            if cand < best:
                best = cand
        return best

    return canonical
