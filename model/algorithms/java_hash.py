"""Java hashing and ordering rules that leak into Kafka's client algorithms.

Kafka's assignors iterate ``java.util.HashMap``/``HashSet`` collections and sort with
``String.compareTo``; reproducing their exact output therefore needs Java's
``String.hashCode``, the ``HashMap`` bucket layout and UTF-16 string ordering.

``JavaHashMap`` simulates only what decides iteration order: the table capacity (with
its growth history) and, within one bucket, insertion order.  Resizing in OpenJDK 8+
splits each bucket into a "lo" and "hi" list that keep their relative order, so the
iteration order is always "bucket index, then insertion order" for the current
capacity.  Treeified bins (a bucket reaching 9 entries in a table of 64 or more) are
not simulated: their iteration order depends on red-black tree rotations.  Such
collisions need adversarial keys and never occur in the small maps Kafka's assignors
build; the map raises ``TreeifiedBinError`` instead of silently guessing.  The
treeify-triggered *resize* of small tables (capacity < 64) is simulated, since it
changes the order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any

__all__ = [
    "DEFAULT_INITIAL_CAPACITY",
    "JavaHashMap",
    "TreeifiedBinError",
    "compare_java_strings",
    "hashmap_iteration_order",
    "hashset_copy_capacity",
    "int_hash",
    "java_string_key",
    "java_sorted",
    "spread",
    "string_hash",
    "string_hashmap_order",
    "table_size_for",
    "to_int32",
    "topic_partition_hash",
    "utf16_units",
]

DEFAULT_INITIAL_CAPACITY = 16
LOAD_FACTOR = 0.75
TREEIFY_THRESHOLD = 8
MIN_TREEIFY_CAPACITY = 64
MAXIMUM_CAPACITY = 1 << 30


class TreeifiedBinError(RuntimeError):
    """A HashMap bin would be treeified (java.util.HashMap.treeifyBin); order not modelled."""


def to_int32(value: int) -> int:
    """Wrap an integer to Java's signed 32-bit int range (two's complement overflow)."""
    value &= 0xFFFFFFFF
    return value - 0x1_0000_0000 if value & 0x8000_0000 else value


def utf16_units(text: str) -> list[int]:
    """UTF-16 code units of a string, as java.lang.String stores them (surrogate pairs)."""
    units: list[int] = []
    for char in text:
        code = ord(char)
        if code >= 0x10000:
            code -= 0x10000
            units.append(0xD800 | (code >> 10))
            units.append(0xDC00 | (code & 0x3FF))
        else:
            units.append(code)
    return units


def string_hash(text: str) -> int:
    """java.lang.String.hashCode: s[0]*31^(n-1) + ... over UTF-16 units, int32 wrap."""
    h = 0
    for unit in utf16_units(text):
        h = (31 * h + unit) & 0xFFFFFFFF
    return to_int32(h)


def int_hash(value: int) -> int:
    """java.lang.Integer.hashCode: the int value itself."""
    return to_int32(value)


def topic_partition_hash(topic: str, partition: int) -> int:
    """org.apache.kafka.common.TopicPartition.hashCode: 31 * (31 + partition) + topic hash."""
    return to_int32(31 * (31 + partition) + string_hash(topic))


def compare_java_strings(a: str, b: str) -> int:
    """java.lang.String.compareTo: first differing UTF-16 unit difference, else length diff."""
    ua, ub = utf16_units(a), utf16_units(b)
    for x, y in zip(ua, ub, strict=False):
        if x != y:
            return x - y
    return len(ua) - len(ub)


def java_string_key(text: str) -> tuple[int, ...]:
    """Sort key that orders strings like String.compareTo (differs from str < only off the BMP)."""
    return tuple(utf16_units(text))


def java_sorted(texts: Iterable[str]) -> list[str]:
    """Collections.sort / TreeSet order of Strings (natural UTF-16 code-unit order)."""
    return sorted(texts, key=java_string_key)


def spread(h: int) -> int:
    """HashMap.hash: h ^ (h >>> 16), returned as an unsigned 32-bit value for index math."""
    h &= 0xFFFFFFFF
    return h ^ (h >> 16)


def table_size_for(cap: int) -> int:
    """HashMap.tableSizeFor: the smallest power of two >= cap (1 for cap <= 1)."""
    if cap <= 1:
        return 1
    n = 1
    while n < cap:
        n <<= 1
    return min(n, MAXIMUM_CAPACITY)


def hashset_copy_capacity(size: int) -> int:
    """HashSet(Collection) constructor capacity: max((int) (size / .75f) + 1, 16)."""
    return max(int(size / LOAD_FACTOR) + 1, DEFAULT_INITIAL_CAPACITY)


def _default_hash(key: Hashable) -> int:
    """Hash a key the way Java would for the key types Kafka's assignors put in maps."""
    if isinstance(key, str):
        return string_hash(key)
    if isinstance(key, bool):
        return 1231 if key else 1237
    if isinstance(key, int):
        return int_hash(key)
    if isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], str):
        return topic_partition_hash(key[0], key[1])
    raise TypeError(f"no Java hashCode rule for key {key!r}; pass hash_fn")


class JavaHashMap:
    """Order-faithful model of java.util.HashMap (and HashSet): capacity history + bucket order."""

    __slots__ = ("_capacity", "_entries", "_hash_fn", "_head_seq", "_seq", "_threshold")

    def __init__(
        self,
        initial_capacity: int | None = None,
        hash_fn: Callable[[Any], int] = _default_hash,
    ) -> None:
        """new HashMap<>() (table allocated lazily at 16) or new HashMap<>(initialCapacity)."""
        self._hash_fn = hash_fn
        # key -> [value, position seq within its bucket, spread hash]; putVal appends at the
        # bucket tail (growing positive seq), computeIfAbsent links at the head (negative seq).
        self._entries: dict[Any, list[Any]] = {}
        self._seq = 0
        self._head_seq = 0
        self._capacity = 0
        if initial_capacity is None:
            self._threshold = 0
        else:
            if initial_capacity < 0:
                raise ValueError("Illegal initial capacity")
            self._threshold = table_size_for(initial_capacity)

    @classmethod
    def copy_of(
        cls, other: JavaHashMap, hash_fn: Callable[[Any], int] | None = None
    ) -> JavaHashMap:
        """new HashMap<>(map) / putMapEntries (JDK 17 sizing: s / .75f + 1), then put in order."""
        result = cls(hash_fn=hash_fn or other._hash_fn)
        size = len(other)
        if size > 0:
            wanted = int(size / LOAD_FACTOR + 1.0)
            if wanted > result._threshold:
                result._threshold = table_size_for(wanted)
        for key, value in other.items():
            result.put(key, value)
        return result

    @property
    def capacity(self) -> int:
        """Current table length (0 while the table is not allocated yet)."""
        return self._capacity

    def __len__(self) -> int:
        """HashMap.size."""
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        """HashMap.containsKey."""
        return key in self._entries

    def get(self, key: Any, default: Any = None) -> Any:
        """HashMap.get (returns default when absent)."""
        entry = self._entries.get(key)
        return default if entry is None else entry[0]

    def __getitem__(self, key: Any) -> Any:
        """HashMap.get for a key known to be present."""
        return self._entries[key][0]

    def put(self, key: Any, value: Any = None) -> None:
        """HashMap.put: replace in place, or append to the bucket and grow when needed."""
        entry = self._entries.get(key)
        if entry is not None:
            entry[0] = value
            return
        if self._capacity == 0:
            self._resize()
        h = spread(self._hash_fn(key))
        bin_size = self._bin_size(h)
        self._entries[key] = [value, self._seq, h]
        self._seq += 1
        if bin_size >= TREEIFY_THRESHOLD:
            if self._capacity < MIN_TREEIFY_CAPACITY:
                self._resize()
            else:
                raise TreeifiedBinError(f"bucket of {key!r} would be treeified")
        if len(self._entries) > self._threshold:
            self._resize()

    def compute_if_absent(self, key: Any, factory: Callable[[Any], Any]) -> Any:
        """HashMap.computeIfAbsent: resize first if over threshold, link new node at bucket head."""
        if self._capacity == 0 or len(self._entries) > self._threshold:
            self._resize()
        entry = self._entries.get(key)
        if entry is not None:
            return entry[0]
        value = factory(key)
        h = spread(self._hash_fn(key))
        bin_size = self._bin_size(h)
        self._head_seq -= 1
        self._entries[key] = [value, self._head_seq, h]
        if bin_size >= TREEIFY_THRESHOLD - 1:
            if self._capacity < MIN_TREEIFY_CAPACITY:
                self._resize()
            else:
                raise TreeifiedBinError(f"bucket of {key!r} would be treeified")
        return value

    def __setitem__(self, key: Any, value: Any) -> None:
        """HashMap.put."""
        self.put(key, value)

    def add(self, key: Any) -> bool:
        """HashSet.add: True when the key was not present."""
        if key in self._entries:
            return False
        self.put(key, None)
        return True

    def remove(self, key: Any) -> Any:
        """HashMap.remove: drop the key (no shrinking; remaining order unchanged)."""
        entry = self._entries.pop(key, None)
        return None if entry is None else entry[0]

    def discard(self, key: Any) -> None:
        """HashSet.remove without a result."""
        self._entries.pop(key, None)

    def clear(self) -> None:
        """HashMap.clear: empties the table but keeps its capacity."""
        self._entries.clear()

    def _bin_size(self, h: int) -> int:
        """Number of entries currently in the bucket that spread hash h maps to."""
        mask = self._capacity - 1
        index = h & mask
        return sum(1 for e in self._entries.values() if e[2] & mask == index)

    def _resize(self) -> None:
        """HashMap.resize: allocate the first table or double it, updating the threshold."""
        old_cap, old_thr = self._capacity, self._threshold
        if old_cap > 0:
            if old_cap >= MAXIMUM_CAPACITY:
                self._threshold = 2**31 - 1
                return
            new_cap = old_cap << 1
            if new_cap < MAXIMUM_CAPACITY and old_cap >= DEFAULT_INITIAL_CAPACITY:
                new_thr = old_thr << 1
            else:
                new_thr = int(new_cap * LOAD_FACTOR)
        elif old_thr > 0:
            new_cap = old_thr
            new_thr = int(new_cap * LOAD_FACTOR)
        else:
            new_cap = DEFAULT_INITIAL_CAPACITY
            new_thr = int(DEFAULT_INITIAL_CAPACITY * LOAD_FACTOR)
        self._capacity = new_cap
        self._threshold = new_thr

    def _ordered(self) -> list[tuple[Any, list[Any]]]:
        """Entries in Java iteration order: bucket index, then insertion order."""
        mask = self._capacity - 1
        return sorted(self._entries.items(), key=lambda kv: (kv[1][2] & mask, kv[1][1]))

    def keys(self) -> list[Any]:
        """keySet() iteration order."""
        return [k for k, _ in self._ordered()]

    def values(self) -> list[Any]:
        """values() iteration order."""
        return [e[0] for _, e in self._ordered()]

    def items(self) -> list[tuple[Any, Any]]:
        """entrySet() iteration order."""
        return [(k, e[0]) for k, e in self._ordered()]

    def __iter__(self) -> Iterator[Any]:
        """keySet().iterator() order."""
        return iter(self.keys())

    def first(self) -> Any:
        """iterator().next(): the first key in iteration order."""
        ordered = self._ordered()
        if not ordered:
            raise KeyError("empty map")
        return ordered[0][0]

    def __repr__(self) -> str:
        """Capacity and entries in iteration order."""
        return f"JavaHashMap(capacity={self._capacity}, items={self.items()!r})"


def hashmap_iteration_order(
    keys: Iterable[Any],
    initial_capacity: int | None = None,
    hash_fn: Callable[[Any], int] = _default_hash,
) -> list[Any]:
    """Iteration order of a HashMap/HashSet after putting keys in the given order."""
    table = JavaHashMap(initial_capacity, hash_fn)
    for key in keys:
        table.put(key)
    return table.keys()


@functools.lru_cache(maxsize=8192)
def string_hashmap_order(keys: tuple[str, ...]) -> tuple[str, ...]:
    """Memoised order of a default new HashMap<>() after putting these String keys in order."""
    return tuple(hashmap_iteration_order(keys))
