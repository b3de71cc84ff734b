"""State fingerprints, the visited table and compact state packing, in C with a Python twin.

``fingerprint`` maps a state (nested tuples, NamedTuples included, of ints and bools) to a
64-bit number with no structural collisions: each tuple is written as a prefix-free
stream of 64-bit words (its tagged length, then its items, a nested tuple standing as
its own 128-bit digest) and hashed with xxHash64's round and avalanche in two lanes; the
fingerprint is the root's first lane.  Two different states therefore collide only by
the chance of a random 64-bit hash, plus a negligible 128-bit one (CPython's ``hash``
does not promise that: ``hash(-1) == hash(-2)``, so ``hash((0, -1)) == hash((0, -2))``).
Digests per tuple let the C module keep those of shared parts (see _native.c).

The C module (explorer/_native.c, built by ``pip install``) is used when it was
compiled; this file's pure-Python functions compute the very same values, slower.
``IMPLEMENTATION`` says which one is in use.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Any

_P1 = 0x9E3779B185EBCA87
_P2 = 0xC2B2AE3D27D4EB4F
_P3 = 0x165667B19E3779F9
_SEED = 0x27D4EB2F165667C5
_SEED_B = 0x61C8864E7A143579
# Which fingerprint function this is: fingerprints of another one must not meet these
# (a checkpoint records it).  2: per-tuple 128-bit digests (1: one stream per state).
SCHEME = 2
_M64 = (1 << 64) - 1
_SMALL = 1 << 61


def _absorb(acc: int, word: int) -> int:
    acc = (acc + (word & _M64) * _P2) & _M64
    acc = ((acc << 31) | (acc >> 33)) & _M64
    return (acc * _P1) & _M64


def _leaf_error(value: Any) -> TypeError:
    return TypeError(f"a state holds a {type(value).__name__}; states hold only ints, bools "
                     "and tuples of them")


def _absorb_b(acc: int, word: int) -> int:
    acc = (acc + (word & _M64) * _P3) & _M64
    acc = ((acc << 27) | (acc >> 37)) & _M64
    return (acc * _P2) & _M64


def _avalanche(h: int) -> int:
    h ^= h >> 33
    h = (h * _P2) & _M64
    h ^= h >> 29
    h = (h * _P3) & _M64
    h ^= h >> 32
    return h


def _item(acc: tuple[int, int], item: Any, depth: int) -> tuple[int, int]:
    """Absorb one item of a tuple's stream into both lanes (a tuple: tag and digest)."""
    if isinstance(item, tuple):
        words: tuple[int, ...] = (3, *_digest(item, depth))
    elif isinstance(item, int):
        if not -(1 << 63) <= item < (1 << 63):
            raise OverflowError("a state holds an int outside 64 bits")
        words = (item << 2,) if -_SMALL <= item < _SMALL else (2, item)
    else:
        raise _leaf_error(item)
    a, b = acc
    for word in words:
        a, b = _absorb(a, word), _absorb_b(b, word)
    return a, b


def _digest(t: tuple, depth: int) -> tuple[int, int]:
    """A tuple's own 128-bit digest: both lanes over its tagged length and its items."""
    if depth > 64:
        raise ValueError("a state nests tuples more than 64 deep")
    acc = (_SEED, _SEED_B)
    head = (len(t) << 2) | 1
    acc = (_absorb(acc[0], head), _absorb_b(acc[1], head))
    for item in t:
        acc = _item(acc, item, depth + 1)
    return _avalanche(acc[0]), _avalanche(acc[1])


def py_fingerprint(state: Any) -> int:
    """The fingerprint, computed in Python (the same value as the C function): the first
    lane of the root's digest."""
    if isinstance(state, tuple):
        h = _digest(state, 0)[0]
    else:
        h = _avalanche(_item((_SEED, _SEED_B), state, 0)[0])
    return h or 1


def _varint(out: bytearray, value: int) -> None:
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def _pack_into(out: bytearray, state: Any, classes: dict) -> None:
    if state is True or state is False:
        out.append(2 if state else 1)
    elif isinstance(state, int):
        if not -(1 << 63) <= state < (1 << 63):
            raise OverflowError("a state holds an int outside 64 bits")
        out.append(0)
        _varint(out, ((state << 1) ^ (state >> 63)) & _M64)
    elif isinstance(state, tuple):
        if type(state) is tuple:
            out.append(3)
        else:
            index = classes.setdefault(type(state), len(classes))
            out.append(4)
            _varint(out, index)
        _varint(out, len(state))
        for item in state:
            _pack_into(out, item, classes)
    else:
        raise _leaf_error(state)


def py_pack(state: Any, classes: dict) -> bytes:
    """The packed bytes of a state (tuple subclasses are numbered in ``classes``)."""
    out = bytearray()
    _pack_into(out, state, classes)
    return bytes(out)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _unpack_at(data: bytes, pos: int, classes: list) -> tuple[Any, int]:
    tag = data[pos]
    pos += 1
    if tag == 0:
        value, pos = _read_varint(data, pos)
        return (value >> 1) ^ -(value & 1), pos
    if tag in (1, 2):
        return tag == 2, pos
    cls = None
    if tag == 4:
        index, pos = _read_varint(data, pos)
        cls = classes[index]
    elif tag != 3:
        raise ValueError("corrupt packed state (tag)")
    n, pos = _read_varint(data, pos)
    items = []
    for _ in range(n):
        item, pos = _unpack_at(data, pos, classes)
        items.append(item)
    return (tuple(items) if cls is None else tuple.__new__(cls, items)), pos


def py_unpack(data: bytes, classes: list) -> Any:
    """The state packed in ``data``."""
    state, pos = _unpack_at(bytes(data), 0, classes)
    if pos != len(data):
        raise ValueError("trailing bytes after a packed state")
    return state


def py_append_record(buffer: bytearray, fp: int, parent: int, state: Any,
                     classes: dict) -> int:
    """Append (fingerprint, parent fingerprint, packed state) to ``buffer``; its new length."""
    buffer += struct.pack("<QQ", fp, parent)
    _pack_into(buffer, state, classes)
    return len(buffer)


def py_append_sized(buffer: bytearray, fp: int, parent: int, state: Any,
                    classes: dict) -> int:
    """``py_append_record`` after a varint of the packed state's length (for absorb_sized)."""
    record = bytearray()
    py_append_record(record, fp, parent, state, classes)
    _varint(buffer, len(record) - 16)
    buffer += record
    return len(buffer)


def py_owner(state: Any, fp: int, part: int, count: int) -> int:
    """The shard that owns a state: its part's fingerprint (its own when part < 0) mod count."""
    if count < 1:
        raise ValueError("owner() needs at least one shard")
    return (py_fingerprint(state[part]) if part >= 0 else fp) % count


def py_absorb_sized(data: bytes, table: Any, out: bytearray) -> int:
    """Add each append_sized record's fingerprint to ``table``; copy the new records to
    ``out`` as plain records (without their length)."""
    data = bytes(data)
    pos = new = 0
    while pos < len(data):
        size, pos = _read_varint(data, pos)
        end = pos + 16 + size
        if end > len(data):
            raise ValueError("corrupt record (length)")
        fp, parent = struct.unpack_from("<QQ", data, pos)
        if table.add(fp, parent):
            out += data[pos:end]
            new += 1
        pos = end
    return new


def py_records(data: bytes, classes: list) -> list[tuple[int, int, Any]]:
    """Every (fingerprint, parent, state) record in ``data``."""
    data = bytes(data)
    out = []
    pos = 0
    while pos < len(data):
        fp, parent = struct.unpack_from("<QQ", data, pos)
        state, pos = _unpack_at(data, pos + 16, classes)
        out.append((fp, parent, state))
    return out


class PyTable:
    """The visited table as a dict (fingerprint -> parent fingerprint); the C twin's API."""

    def __init__(self) -> None:
        self._parents: dict[int, int] = {}

    def add(self, fp: int, parent: int) -> bool:
        """Record ``fp`` with its parent; True when it was new."""
        fp = fp or 1
        if fp in self._parents:
            return False
        self._parents[fp] = parent
        return True

    def parent(self, fp: int) -> int | None:
        """The parent's fingerprint (0 for an initial state), None when unknown."""
        return self._parents.get(fp or 1)

    def __contains__(self, fp: int) -> bool:
        return (fp or 1) in self._parents

    def __len__(self) -> int:
        return len(self._parents)

    def nbytes(self) -> int:
        """Approximate bytes held (a dict entry and two ints per state)."""
        return len(self._parents) * 100

    def dump(self) -> bytes:
        """Every (fingerprint, parent) pair, 16 bytes each."""
        return b"".join(struct.pack("<QQ", k, v) for k, v in self._parents.items())

    def load(self, data: bytes) -> None:
        """Add the pairs of a dump()."""
        for fp, parent in struct.iter_unpack("<QQ", data):
            self.add(fp, parent)


try:
    from kafkacheck.explorer import _native  # type: ignore[attr-defined]
except ImportError:  # no C compiler where kafkacheck was installed
    _native = None

if _native is not None:
    IMPLEMENTATION = "C"
    fingerprint = _native.fingerprint
    pack = _native.pack
    unpack = _native.unpack
    append_record = _native.append_record
    records = _native.records
    append_sized = _native.append_sized
    absorb_sized = _native.absorb_sized
    owner = _native.owner
    Table = _native.Table
else:  # pragma: no cover - exercised by tests through the py_ names
    IMPLEMENTATION = "Python"
    fingerprint = py_fingerprint
    pack = py_pack
    unpack = py_unpack
    append_record = py_append_record
    records = py_records
    append_sized = py_append_sized
    absorb_sized = py_absorb_sized
    owner = py_owner
    Table = PyTable


def collision_probability(distinct: int) -> float:
    """Chance that two of ``distinct`` states share a 64-bit fingerprint (n(n-1)/2^65)."""
    return distinct * (distinct - 1) / 2.0**65


def leaves(state: Any) -> Iterable[Any]:
    """Every non-tuple value in a state (for checking what the interface promises)."""
    stack = [state]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            stack.extend(item)
        else:
            yield item
