"""The model interface every engine drives: Init/Next/invariants in the spirit of TLA+.

A model is a class; an instance is bound to one configuration (Kafka settings plus
model bounds).  States are immutable, hashable values built only from ints, bools and
tuples of them, so that ``hash(state)`` is a cheap fingerprint that is the same in
every process (strings and ``None`` hash differently per process: keep them out of
states).  Actions are small printable tuples ``(name, arg, ...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from kafkacheck.model import settings as kafka_settings

if TYPE_CHECKING:
    from kafkacheck.config import Config
    from kafkacheck.properties.base import Property

State = Any
"""A model state: a flat tuple (or tuple subclass) of ints, bools and tuples."""

Action = tuple
"""An action label: ``(name, *args)`` with ints/strings as arguments."""

# An operator's CreatePartitions while clients run: keys map over the new count.
ADDED_PARTITIONS = "partitions added to the topic (CreatePartitions)"
PROCESS_CRASH = "broker process crash (the page cache survives)"
POWER_LOSS = "broker power loss (unflushed writes are lost)"
"""The fault a replication-safety verdict most often leaves out: Kafka does not fsync
each write by default (flush.messages), so a power failure loses the page cache."""


@dataclass(frozen=True)
class Bound:
    """A model bound (state-space limit) with its default and what it limits."""

    name: str
    default: int | str
    doc: str
    minimum: int = 0
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    # Non-empty for a fault budget: the fault it injects, in words ("broker process crash").
    fault: str = ""
    # The action families that inject that fault (as in INJECTED_BY: all must fire, "A|B"
    # either), when INJECTED_BY does not name them already.
    injected_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class FaultModel:
    """The faults a run explored (with their budgets) and the ones it did not.

    Every verdict is relative to it: "holds" means "holds under these faults".
    """

    explored: tuple[tuple[str, int], ...]
    not_explored: tuple[str, ...]
    # Faults with a budget whose injecting actions never fired in the states explored (a
    # restart with nothing crashed): offered by the bounds, not explored by the run.
    never_injected: tuple[str, ...] = ()

    def shared_crash_budget(self) -> int | None:
        """The one budget a process crash and a power loss share (crash_kind=any: each crash
        is one kind or the other), or None when they are not both explored."""
        budgets = dict(self.explored)
        if PROCESS_CRASH in budgets and POWER_LOSS in budgets \
                and budgets[PROCESS_CRASH] == budgets[POWER_LOSS]:
            return budgets[PROCESS_CRASH]
        return None

    def text(self) -> str:
        """One line: 'faults: process crash x1, lost response x2; not explored: power loss'."""
        shared = self.shared_crash_budget()
        parts = []
        for name, n in self.explored:
            if shared is not None and name == POWER_LOSS:
                continue
            if shared is not None and name == PROCESS_CRASH:
                parts.append(f"{name} or {POWER_LOSS} x{n} (one budget: each crash is one "
                             "kind or the other)")
            else:
                parts.append(f"{name} x{n}")
        done = ", ".join(parts) or "none"
        line = f"faults: {done}"
        if self.never_injected:
            line += (f"; offered but never injected (its actions never fired): "
                     f"{', '.join(self.never_injected)}")
        if self.not_explored:
            line += f"; not explored: {', '.join(self.not_explored)}"
        return line

    def never_fired(self) -> str:
        """The faults offered but never injected, as a clause ('' when none): what a pass
        says nothing about (review's not covered, assert_holds's warning)."""
        if not self.never_injected:
            return ""
        return (f"{', '.join(self.never_injected)} never happened under these settings and "
                "bounds (its actions never fired)")

    def as_json(self) -> dict[str, Any]:
        """The fault model as JSON-ready data."""
        out: dict[str, Any] = {"explored": {name: n for name, n in self.explored},
                               "not_explored": list(self.not_explored)}
        if self.shared_crash_budget() is not None:
            out["shared_budget"] = [PROCESS_CRASH, POWER_LOSS]
        if self.never_injected:
            out["never_injected"] = list(self.never_injected)
        return out

    def injected(self, coverage: Mapping[str, int],
                 injected_by: Mapping[str, tuple[str, ...]]) -> FaultModel:
        """This fault model after a run with this action coverage: an explored fault whose
        injecting actions (``injected_by``; all of them, an entry "A|B" meaning either)
        never fired moves to never_injected."""
        never = tuple(name for name, _ in self.explored
                      if (acts := injected_by.get(name))
                      and not all(any(coverage.get(a, 0) for a in entry.split("|"))
                                  for entry in acts))
        if not never:
            return self
        return FaultModel(tuple(f for f in self.explored if f[0] not in never),
                          self.not_explored, self.never_injected + never)


# The action families that inject a fault (all must have fired for the fault to count as
# explored; "A|B": either); models add their own in ``fault_actions``.
INJECTED_BY: dict[str, tuple[str, ...]] = {
    PROCESS_CRASH: ("Crash",),
    POWER_LOSS: ("PowerLoss",),
    "quick follower restart": ("Bounce",),
    "leader move": ("MoveLeader",),
    "node restart": ("Restart",),
    "node isolation": ("Isolate",),
    "batch expiry (delivery.timeout.ms)": ("Expire",),
    "consumer restart": ("Restart",),
    "committed offsets expire (offsets.retention.minutes)": ("ExpireOffsets",),
    "retention deletes records": ("Retention",),
    ADDED_PARTITIONS: ("AddPartitions",),
}


@dataclass(frozen=True)
class Message:
    """How one action reads in a sequence diagram: from one participant to another."""

    source: str
    target: str
    text: str


@dataclass
class ModelInfo:
    """What ``kafkacheck list`` shows about a model."""

    name: str
    summary: str
    bounds: Sequence[Bound]
    settings: Sequence[str]
    properties: Sequence[Property] = field(default_factory=list)


class Model:
    """Base class of every kafkacheck model; subclasses fill in the state machine.

    Subclasses set ``name``, ``summary``, ``source``, ``settings`` (the Kafka settings
    the model reads, by their Kafka names), ``bounds`` and ``fields`` (names of the
    state tuple's positions, used to print what an action changed).
    """

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    source: ClassVar[str] = ""
    # What the states stand for when it is not a Kafka release (a specification, a textbook
    # protocol): results are headed with it, so no verdict reads as one of Kafka's.
    subject: ClassVar[str] = ""
    settings: ClassVar[tuple[str, ...]] = ()
    bounds: ClassVar[tuple[Bound, ...]] = ()
    fields: ClassVar[tuple[str, ...]] = ()
    # Kafka settings that identify the question being asked: shown first in results.
    key_settings: ClassVar[tuple[str, ...]] = ()
    # Settings the model reads but covers for these values only (a protocol variant): a
    # setting left unset starts at the version's default, or at the first value listed when
    # the default is not covered; another value asked for is run from that starting value
    # and the result is "not covered" (group.protocol=consumer on the classic group model).
    covered_values: ClassVar[dict[str, tuple[Any, ...]]] = {}
    # Faults Kafka meets that this model cannot express at all (always "not explored").
    faults_not_modelled: ClassVar[tuple[str, ...]] = ()
    # Fault -> the action families that inject it, beyond INJECTED_BY and the bounds'
    # injected_by (see injecting_actions): for faults a configuration names differently.
    fault_actions: ClassVar[dict[str, tuple[str, ...]]] = {}
    # What canonical() identifies, in words (printed with results when it is overridden).
    symmetry_note: ClassVar[str] = "states equal up to a permutation are explored once"
    # What canonical() renames, in a few words: results say "symmetry: <this>" so that
    # counts of classes are not read as counts of states.
    symmetry_over: ClassVar[str] = "states"
    # A field of the state that few steps change, or None.  With a few workers the sharded
    # engines give a state to the worker that owns this field's fingerprint, not the whole
    # state's, so most successors stay with the worker that made them (explorer/search.py).
    shard_part: ClassVar[str | None] = None
    # True where a state means something only in the process that made it (ids into
    # tables filled as states are met): the engines then refuse other processes
    # (--workers and --ray fall back to one, --checkpoint and --resume are refused).
    process_local_states: ClassVar[bool] = False
    # Settings it does not read, of no role its settings have, whose value other than
    # Kafka's default still changes what it explores (a compacted topic is not the log its
    # consumers read): such a value is not covered, never ignored.
    also_changed_by: ClassVar[tuple[str, ...]] = ()
    # Settings whose semantics its abstraction takes as given, of no effect on its verdicts
    # (the replication model's controller is one correct step, whatever its quorum).
    abstracted: ClassVar[tuple[str, ...]] = ()
    # Its own bound for a fault a timeout times, where it is not TIMEOUT_FAULTS' (Streams:
    # a thread past max.poll.interval.ms is the zombie of its rebalances bound).
    timeout_bounds: ClassVar[dict[str, str]] = {}
    # Prefixes by which the application a model stands for hands settings to its own Kafka
    # clients (StreamsConfig producer., Connect's producer.override., KIP-458): a client
    # setting given so changes the run as the client setting itself would.
    client_prefixes: ClassVar[tuple[str, ...]] = ()
    # Client settings the model reads from those prefixed keys itself (a Connect sink
    # task's session.timeout.ms): its clients run what the keys say.
    client_read: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def reads_client_key(cls, key: str) -> bool:
        """Whether ``key`` is a client prefix and a setting of ``client_read``."""
        return any(p and key.startswith(p) and key[len(p):] in cls.client_read
                   for p in cls.client_prefixes)

    @classmethod
    def client_values(cls, kafka: Mapping[str, Any]) -> dict[str, Any]:
        """The values the application gives its clients where they are not Kafka's defaults,
        under its own settings ``kafka``: the values the model's clients run with."""
        return {}

    @classmethod
    def client_forced(cls, kafka: Mapping[str, Any], prefix: str) -> frozenset[str]:
        """Client settings the application sets itself whatever a key with ``prefix`` says
        (it drops or replaces the user's value), under its own settings ``kafka``."""
        return frozenset()

    @classmethod
    def uncovered_under(cls, given: Mapping[str, Any], bounds: Mapping[str, Any],
                        version: tuple[int, int] = (4, 4)) -> dict[str, Any]:
        """Settings among ``given`` (those asked for), or that the model runs as, which
        only these bounds or this Kafka ``version`` leave uncovered, with their values: a
        run with any is "not covered", never HOLDS."""
        return {}

    @classmethod
    def client_key_ignored(cls, key: str, version: tuple[int, int]) -> bool:
        """Whether the application of this ``version`` ignores a prefixed ``key`` (a
        connector's *.override.* keys before KIP-458): it changes nothing."""
        return False

    @classmethod
    def client_uncovered(cls, name: str, value: Any, version: tuple[int, int]) -> bool:
        """Whether a client setting ``name=value`` that reaches the model's clients through
        a prefix (reads_client_key) is one the model does not cover: a class of the user's
        own, which no model runs."""
        return kafka_settings.names_custom_class(value)

    @classmethod
    def uncovered_reason(cls, name: str, value: Any) -> str | None:
        """Why this model does not cover ``name=value`` (uncovered_under's), when there is
        more to say than that the value is not modelled."""
        return None

    @classmethod
    def validate_config(cls, config: Config) -> str | None:
        """A one-line message when the configuration is impossible, else None."""
        return None

    def __init__(self, config: Config) -> None:
        self.config = config
        self.kafka = config.kafka
        # Bounds not given (e.g. by a composed model that builds the config) get defaults.
        self.bound = {**{b.name: b.default for b in self.bounds}, **config.bounds}

    # -- the state machine -------------------------------------------------------

    def init_states(self) -> Iterable[State]:
        """The initial states."""
        raise NotImplementedError

    # A model implements either successors() (the fast path engines use) or the pair
    # actions() + next_state(); each default is written in terms of the other.

    def actions(self, state: State) -> Iterable[Action]:
        """The action labels enabled in ``state``."""
        return [action for action, _ in self.successors(state)]

    def next_state(self, state: State, action: Action) -> State | None:
        """The successor of ``state`` under ``action``; None when it is not enabled."""
        for label, nxt in self.successors(state):
            if label == action:
                return nxt
        return None

    def successors(self, state: State) -> Iterator[tuple[Action, State]]:
        """Every (action, next state) pair; models may override this as the fast path."""
        for action in self.actions(state):
            nxt = self.next_state(state, action)
            if nxt is not None:
                yield action, nxt

    def properties(self) -> Sequence[Property]:
        """The named properties this model is checked against."""
        return ()

    def within_bounds(self, state: State) -> bool:
        """State constraint: states outside it are not explored (TLC's CONSTRAINT)."""
        return True

    def canonical(self, state: State) -> State:
        """A representative of the state's symmetry class (identity by default).

        A model may also set it per instance (``self.canonical = ...``) when a bound turns
        symmetry on; engines ask ``uses_symmetry(model)``.
        """
        return state

    # -- presentation ------------------------------------------------------------

    def interest(self, state: State) -> float | None:
        """How close a state looks to trouble (faults, acknowledgements, shrunken ISRs).

        Only a search heuristic: Hypothesis's targeted generation steers toward runs that
        score high.  None (the default) disables targeting.
        """
        return None

    def fault_model(self) -> FaultModel:
        """The faults this configuration explores: every fault bound with a budget > 0.

        Models with fault kinds chosen by another bound (crash_kind) override this.
        """
        explored, missing = [], []
        for b in self.bounds:
            if not b.fault:
                continue
            budget = self.bound[b.name]
            if isinstance(budget, int) and budget > 0:
                explored.append((b.fault, budget))
            else:
                missing.append(b.fault)
        return FaultModel(tuple(explored), tuple(missing) + self.faults_not_modelled)

    def injecting_actions(self) -> dict[str, tuple[str, ...]]:
        """Fault -> the action families that inject it (FaultModel.injected): INJECTED_BY,
        then each fault bound's ``injected_by``, then this model's ``fault_actions``."""
        return {**INJECTED_BY, **{b.fault: b.injected_by for b in self.bounds if b.injected_by},
                **self.fault_actions}

    def notes(self) -> list[str]:
        """Facts about this configuration a reader must see (e.g. a setting Kafka overrides)."""
        return []

    def effective_settings(self) -> dict[str, Any]:
        """The Kafka settings as they take effect, after Kafka's own overrides.

        The default is the configuration as given; a model whose Kafka code overrides a
        setting (the producer disabling idempotence, ...) returns the value in force.
        """
        return dict(self.config.kafka)

    def view(self, state: State) -> dict[str, Any]:
        """The state as named variables (for traces, diffs and reports)."""
        if self.fields:
            return dict(zip(self.fields, state, strict=False))
        return {"state": state}

    def format_value(self, name: str, value: Any) -> str:
        """How one state variable prints; override for friendlier output."""
        return repr(value)

    def participants(self) -> Sequence[str]:
        """The actors of sequence diagrams, in display order."""
        return ("Model",)

    def message(self, action: Action, before: State, after: State) -> Message:
        """How ``action`` reads in a sequence diagram."""
        return Message("Model", "Model", format_action(action))

    def action_families(self) -> Sequence[str]:
        """The action names this model can produce (for coverage and Hypothesis rules)."""
        return ()

    @classmethod
    def info(cls) -> ModelInfo:
        """A description for listings, without building an instance."""
        return ModelInfo(cls.name, cls.summary, cls.bounds, cls.settings)


def uses_symmetry(model: Model) -> bool:
    """Whether ``model.canonical`` is more than the identity (set on the class or instance)."""
    return getattr(model.canonical, "__func__", None) is not Model.canonical


def symmetry_label(model: Model) -> str:
    """What a run of ``model`` renames ("brokers and partitions"), or "" without symmetry."""
    return model.symmetry_over if uses_symmetry(model) else ""


def replacer(cls: type, *names: str) -> Callable[..., Any]:
    """A fast ``_replace`` of fixed fields of a NamedTuple state class.

    ``replacer(S, "a", "c")(state, a, c)`` equals ``state._replace(a=a, c=c)`` at the cost
    of building one tuple (``_replace`` parses keywords on every call: too slow for the
    successor functions, which build every new state).
    """
    fields = cls._fields  # type: ignore[attr-defined]
    unknown = [n for n in names if n not in fields]
    if unknown:
        raise ValueError(f"{cls.__name__} has no field {unknown[0]!r}")
    args = ", ".join(f"v{i}" for i in range(len(names)))
    items = ", ".join(f"v{names.index(f)}" if f in names else f"s[{i}]"
                      for i, f in enumerate(fields))
    code = f"def replace(s, {args}):\n    return _new(cls, ({items},))\n"
    namespace: dict[str, Any] = {"_new": tuple.__new__, "cls": cls}
    exec(code, namespace)  # noqa: S102 - generated from the class's own field names
    return namespace["replace"]


def format_action(action: Action) -> str:
    """Render an action label as ``Name(arg, arg)``."""
    name, *args = action
    if not args:
        return str(name)
    return f"{name}({', '.join(str(a) for a in args)})"
