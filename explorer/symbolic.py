"""Z3 engine: inductive invariants for any cluster size, bounded model checking, and a
checker of concrete abstract transitions (the test that ties an encoding to its model).

A symbolic encoding describes a model with Z3 terms over a *domain* of brokers: either an
uninterpreted sort (``SymbolicDomain``: no cluster size fixed) or a fixed number of brokers
(``FiniteDomain``: quantifiers expand to conjunctions).  Relations are written once against
the domain's ``forall``/``exists`` and serve all three questions:

* ``prove_inductive``: Init => Inv, Inv => Property, and Inv /\\ Action => Inv' for every
  action, over the uninterpreted sort: unsat everywhere proves the property for every
  number of brokers and every number of the encoded faults.  A sat case is a
  counterexample to induction (CTI) naming the action and the invariant clause it breaks.
  Non-vacuity: every action is possible under Inv, and so is the property's antecedent.
* ``bounded_check``: unroll k steps over a fixed number of brokers, with the fault budgets
  counted, and ask for a state violating the property.
* ``TransitionChecker``: whether one concrete abstract (pre, post) pair is allowed by an
  action's relation (incremental solving under assumptions, cached by pair).
"""

from __future__ import annotations

import ctypes
import gc
import itertools
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

Vars = dict[str, Any]
_COUNTER = itertools.count()  # fresh names: Z3 sorts and auxiliary variables


def _fresh(name: str) -> str:
    return f"{name}!{next(_COUNTER)}"


class SymbolicDomain:
    """Brokers as an uninterpreted sort: a result holds for every number of brokers."""

    finite = False

    def __init__(self) -> None:
        self.sort = z3.DeclareSort(_fresh("Broker"))

    def function(self, name: str) -> Any:
        """A predicate over brokers (alive, in the ISR, holds the record...)."""
        return z3.Function(_fresh(name), self.sort, z3.BoolSort())

    def broker(self, name: str) -> Any:
        """One broker (a leader, an action's parameter)."""
        return z3.Const(_fresh(name), self.sort)

    def boolean(self, name: str) -> Any:
        """An auxiliary boolean (existential in every query)."""
        return z3.Bool(_fresh(name))

    def forall(self, body: Callable[[Any], Any]) -> Any:
        x = z3.Const(_fresh("x"), self.sort)
        return z3.ForAll([x], body(x))

    def exists(self, body: Callable[[Any], Any]) -> Any:
        x = z3.Const(_fresh("x"), self.sort)
        return z3.Exists([x], body(x))

    def count(self, pred: Callable[[Any], Any]) -> Any:
        """Cardinalities are not expressible over an unbounded sort: None."""
        return None


class _Points:
    """A predicate over a finite broker set: one Z3 boolean per broker."""

    def __init__(self, bits: list[Any], values: list[Any], index: dict[int, int]) -> None:
        self.bits = bits
        self._values = values
        self._index = index

    def __call__(self, x: Any) -> Any:
        i = self._index.get(x.get_id())
        if i is not None:
            return self.bits[i]
        out = self.bits[-1]
        for value, bit in zip(reversed(self._values[:-1]), reversed(self.bits[:-1]),
                              strict=True):
            out = z3.If(x == value, bit, out)
        return out


class FiniteDomain:
    """A fixed number of brokers: quantifiers become conjunctions, counts are sums."""

    finite = True

    def __init__(self, brokers: int) -> None:
        self.n = brokers
        self.sort, self.values = z3.EnumSort(_fresh("Brokers"),
                                             [f"B{i + 1}" for i in range(brokers)])
        self.index = {v.get_id(): i for i, v in enumerate(self.values)}

    def function(self, name: str) -> _Points:
        return _Points([z3.Bool(_fresh(f"{name}{i + 1}")) for i in range(self.n)],
                       list(self.values), self.index)

    def broker(self, name: str) -> Any:
        return z3.Const(_fresh(name), self.sort)

    def boolean(self, name: str) -> Any:
        return z3.Bool(_fresh(name))

    def forall(self, body: Callable[[Any], Any]) -> Any:
        return z3.And(*[body(v) for v in self.values])

    def exists(self, body: Callable[[Any], Any]) -> Any:
        return z3.Or(*[body(v) for v in self.values])

    def count(self, pred: Callable[[Any], Any]) -> Any:
        return z3.Sum(*[z3.If(pred(v), 1, 0) for v in self.values])


Domain = SymbolicDomain | FiniteDomain


def declare_vars(functions: Iterable[str], booleans: Iterable[str], brokers: Iterable[str],
                 prefix: str, dom: Any) -> Vars:
    """Fresh state variables named ``prefix_*``: predicates, booleans and broker constants."""
    out: Vars = {n: dom.function(f"{prefix}_{n}") for n in functions}
    out.update({n: z3.Bool(_fresh(f"{prefix}_{n}")) for n in booleans})
    out.update({n: dom.broker(f"{prefix}_{n}") for n in brokers})
    return out


@dataclass
class SymbolicAction:
    """An action: broker parameters (existential), a transition relation over (pre, post),
    where it comes from, and the model bound it consumes (counted by bounded checking)."""

    name: str
    params: Sequence[str]
    relation: Callable[[Vars, Vars, dict[str, Any], Any], Any]
    source: str = ""
    budget: str = ""


@dataclass
class Encoding:
    """A symbolic model: variables, Init, actions, the inductive invariant (named clauses),
    the property it proves, and the well-formedness every abstract state satisfies."""

    name: str
    functions: tuple[str, ...]  # predicates over brokers
    booleans: tuple[str, ...]
    brokers: tuple[str, ...]  # broker-valued variables, each guarded by a boolean
    guards: Mapping[str, str]  # broker variable -> the boolean saying it is defined
    init: Callable[[Vars, Any], Any]
    actions: list[SymbolicAction]
    invariant: Callable[[Vars, Any], dict[str, Any]]
    property: Callable[[Vars, Any], Any]
    property_name: str
    wellformed: Callable[[Vars, Any], Any]
    antecedent: Callable[[Vars, Any], Any]  # the property's premise, for non-vacuity
    describe: Callable[[z3.ModelRef, Vars, Any], dict[str, Any]] = field(
        default=lambda m, v, d: {})
    step: Callable[[Vars, Vars, Any], Any] = field(default=lambda pre, post, d: z3.BoolVal(True))

    def declare(self, prefix: str, dom: Any) -> Vars:
        """Fresh state variables named ``prefix_*`` over the domain."""
        return declare_vars(self.functions, self.booleans, self.brokers, prefix, dom)

    def action(self, name: str) -> SymbolicAction:
        """The action called ``name``; KeyError if the encoding has none."""
        for a in self.actions:
            if a.name == name:
                return a
        raise KeyError(name)

    def transition(self, action: SymbolicAction, pre: Vars, post: Vars,
                   params: dict[str, Any], dom: Any) -> Any:
        """The action's relation with the post-state well-formed and the generic step rules."""
        return z3.And(action.relation(pre, post, params, dom), self.wellformed(post, dom),
                      self.step(pre, post, dom))


# -- induction ----------------------------------------------------------------------------

PROVED = "proved"
CTI = "counterexample to induction"
GAVE_UP = "unknown (solver gave up)"
VACUOUS = "vacuous: never possible under Inv"


@dataclass
class InductionResult:
    """Per obligation: proved (unsat), a counterexample to induction, or unknown."""

    proved: bool
    obligations: dict[str, str]
    broken: dict[str, list[str]]  # obligation -> invariant clauses the action can break
    cti: dict[str, dict[str, Any]]
    seconds: float

    def failed(self) -> list[str]:
        """The obligations that are not proved, in order."""
        return [name for name, v in self.obligations.items() if v != PROVED]


def step_obligation(name: str) -> str:
    """The name of the obligation for action ``name``."""
    return f"Inv /\\ {name} => Inv'"


def prove_inductive(enc: Encoding, max_seconds: float | None = None) -> InductionResult:
    """Check that the invariant is inductive and implies the property, for any broker count.

    Ctrl-C raises Interrupted (no obligation is reported as the solver giving up for it)."""
    started = time.monotonic()
    deadline = None if max_seconds is None else started + max_seconds
    dom = SymbolicDomain()
    pre = enc.declare("pre", dom)
    post = enc.declare("post", dom)
    obligations: dict[str, str] = {}
    broken: dict[str, list[str]] = {}
    cti: dict[str, dict[str, Any]] = {}

    def solve(*formulas: Any) -> Any:
        # each obligation within 60 s and the time left; Ctrl-C raises Interrupted
        solver = z3.Solver()
        solver.add(*formulas)
        limit = time.monotonic() + 60.0
        return timed_check(solver, limit if deadline is None else min(limit, deadline)), \
            solver

    def clauses(v: Vars) -> dict[str, Any]:
        return enc.invariant(v, dom)

    def inv(v: Vars) -> Any:
        return z3.And(*clauses(v).values())

    def record(name: str, verdict: Any, solver: z3.Solver) -> None:
        if verdict == z3.unsat:
            obligations[name] = PROVED
        elif verdict == z3.sat:
            obligations[name] = CTI
            cti[name] = {"model": str(solver.model())}
        else:
            obligations[name] = GAVE_UP

    wf_pre = enc.wellformed(pre, dom)
    verdict, solver = solve(enc.init(pre, dom), wf_pre, z3.Not(inv(pre)))
    record("Init => Inv", verdict, solver)
    if verdict == z3.sat:
        broken["Init => Inv"] = [c for c, f in clauses(pre).items()
                                 if solve(enc.init(pre, dom), wf_pre, z3.Not(f))[0] == z3.sat]
    verdict, solver = solve(inv(pre), wf_pre, z3.Not(enc.property(pre, dom)))
    record("Inv => Property", verdict, solver)
    vacuous: list[str] = []

    def possible(name: str, verdict: Any) -> None:
        """Only a proof that it cannot happen (unsat) makes a step vacuous; a solver that
        gave up (a time limit) decides nothing."""
        if verdict == z3.unsat:
            vacuous.append(name)
        elif verdict != z3.sat:
            obligations[f"{name} is possible"] = GAVE_UP

    for action in enc.actions:
        params = {p: dom.broker(f"{action.name}_{p}") for p in action.params}
        step = enc.transition(action, pre, post, params, dom)
        name = step_obligation(action.name)
        verdict, solver = solve(inv(pre), wf_pre, step, z3.Not(inv(post)))
        record(name, verdict, solver)
        if verdict == z3.sat:
            broken[name] = [c for c, f in clauses(post).items()
                            if solve(inv(pre), wf_pre, step, z3.Not(f))[0] == z3.sat]
        possible(action.name, solve(inv(pre), wf_pre, step)[0])
    possible("Init", solve(enc.init(pre, dom), wf_pre)[0])
    possible(f"the premise of {enc.property_name}",
             solve(inv(pre), wf_pre, enc.antecedent(pre, dom))[0])
    for name in vacuous:
        obligations[f"{name} is possible"] = VACUOUS
    proved = all(v == PROVED for v in obligations.values())
    return InductionResult(proved, obligations, broken, cti, time.monotonic() - started)


# -- bounded model checking -----------------------------------------------------------------


@dataclass
class BoundedResult:
    """A bounded model-checking run: a violating trace within k steps, or none.

    ``checked``: the most steps searched to the end with no violation (``depth`` when
    complete, -1 when not even the initial states were); ``stop_reason`` says why a run
    that is not complete stopped (a time limit, Ctrl-C, the solver giving up)."""

    brokers: int
    depth: int
    violated: bool
    trace: list[tuple[str, dict[str, Any]]]
    seconds: float
    complete_to_depth: bool = True
    checked: int = -1
    stop_reason: str = ""


INTERRUPTED = "interrupted (Ctrl-C)"
TIME_LIMIT = "time limit reached"
SOLVER_UNKNOWN = "the solver gave up (unknown)"
_GRACE_SECONDS = 1.0  # past the deadline a solver that ignores its timeout is interrupted


class Interrupted(Exception):
    """Ctrl-C during a solver call or while building a formula (raised in place of the
    KeyboardInterrupt that z3's ctypes calls wrap into ctypes.ArgumentError)."""


def is_interrupt(exc: BaseException) -> bool:
    """Whether ``exc`` is Ctrl-C, as Python raises it or as ctypes wraps it while
    converting a z3 call's argument ("ArgumentError: argument 1: KeyboardInterrupt")."""
    if isinstance(exc, KeyboardInterrupt | Interrupted):
        return True
    return isinstance(exc, ctypes.ArgumentError) and "KeyboardInterrupt" in str(exc)


def timed_check(solver: z3.Solver, deadline: float | None) -> Any:
    """``solver.check()`` within the time left before ``deadline`` (z3's ``timeout``
    parameter, and an interrupt if z3 overruns it), stoppable by Ctrl-C: the call runs in
    a worker thread so that the main thread takes the signal and interrupts the solver
    (z3 itself never returns to Python to let a KeyboardInterrupt through).  Raises
    Interrupted on Ctrl-C."""
    if deadline is not None:
        solver.set("timeout", int(max(1.0, (deadline - time.monotonic()) * 1000)))
    # z3's own SIGINT handler would swallow Ctrl-C (an "unknown" like any other): leave
    # the signal to Python, whose main thread interrupts the solver below.
    solver.set("ctrl_c", False)
    out: dict[str, Any] = {}

    def work() -> None:
        try:
            out["verdict"] = solver.check()
        except Exception as exc:  # noqa: BLE001 - handed back to the caller's thread
            out["error"] = exc

    worker = threading.Thread(target=work, name="z3-check", daemon=True)
    # No z3 object may be freed (Z3_dec_ref) here while the worker is inside z3: the
    # collector stays off during the wait (z3 contexts are not thread-safe).
    collecting = gc.isenabled()
    gc.disable()
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.05)
            if deadline is not None and time.monotonic() > deadline + _GRACE_SECONDS:
                solver.interrupt()  # its answer is then unknown
    except KeyboardInterrupt:
        solver.interrupt()
        worker.join(5.0)
        raise Interrupted(INTERRUPTED) from None
    finally:
        if collecting:
            gc.enable()
    if "error" in out:
        if is_interrupt(out["error"]):
            raise Interrupted(INTERRUPTED)
        raise out["error"]
    if out["verdict"] == z3.unknown and "keyboard" in solver.reason_unknown():
        raise Interrupted(INTERRUPTED)  # z3 took the signal after all
    return out["verdict"]


def bounded_check(enc: Encoding, brokers: int, depth: int,
                  budgets: Mapping[str, int] | None = None,
                  max_seconds: float | None = None) -> BoundedResult:
    """Search for a property violation within ``depth`` steps over ``brokers`` brokers.

    ``budgets`` maps a model bound (crashes, leader_changes...) to how many steps of the
    actions consuming it a trace may take; bounds not named are unlimited.  The unrolling
    grows one step at a time, each depth checked before the next is built, so a time
    limit or Ctrl-C stops within one step and reports the depth searched to the end
    (``checked``; a stuttering step makes the incremental unrolling the same question).
    """
    started = time.monotonic()
    deadline = None if max_seconds is None else started + max_seconds
    dom = FiniteDomain(brokers)
    budgets = dict(budgets or {})
    checked = -1

    def stopped(reason: str) -> BoundedResult:
        return BoundedResult(brokers, depth, False, [], time.monotonic() - started, False,
                             checked, reason)

    steps: list[Vars] = []
    choice: list[Any] = []
    params_at: list[dict[str, dict[str, Any]]] = []
    try:
        steps.append(enc.declare("s0", dom))
        solver = z3.Solver()
        solver.add(enc.init(steps[0], dom), enc.wellformed(steps[0], dom))
        left = {b: z3.IntVal(v) for b, v in budgets.items()}
        for i in range(depth + 1):
            if i > 0:  # the step from state i-1 to state i
                if deadline is not None and time.monotonic() > deadline:
                    return stopped(TIME_LIMIT)
                steps.append(enc.declare(f"s{i}", dom))
                choice.append(z3.Int(_fresh(f"action_{i - 1}")))
                options = []
                params_at.append({})
                for k, action in enumerate(enc.actions):
                    params = {p: dom.broker(f"a{i - 1}_{action.name}_{p}")
                              for p in action.params}
                    params_at[i - 1][action.name] = params
                    options.append(z3.And(choice[i - 1] == k, enc.transition(
                        action, steps[i - 1], steps[i], params, dom)))
                options.append(z3.And(choice[i - 1] == -1,
                                      _frame(enc, steps[i - 1], steps[i], dom)))
                solver.add(z3.Or(*options))
                for bound in budgets:
                    uses = [k for k, a in enumerate(enc.actions) if a.budget == bound]
                    spent = z3.If(z3.Or(*[choice[i - 1] == k for k in uses]), 1, 0) \
                        if uses else 0
                    left[bound] = left[bound] - spent
                    solver.add(left[bound] >= 0)
            solver.push()
            solver.add(z3.Not(enc.property(steps[i], dom)))
            verdict = timed_check(solver, deadline)
            if verdict == z3.sat:
                model = solver.model()
                trace = [("Init", enc.describe(model, steps[0], dom))]
                for j in range(i):
                    k = model.eval(choice[j]).as_long()
                    if k < 0:
                        continue
                    action = enc.actions[k]
                    args = ", ".join(str(model.eval(params_at[j][action.name][p]))
                                     for p in action.params)
                    label = f"{action.name}({args})" if args else action.name
                    trace.append((label, enc.describe(model, steps[j + 1], dom)))
                return BoundedResult(brokers, i, True, trace, time.monotonic() - started,
                                     True, i - 1)
            solver.pop()
            if verdict != z3.unsat:
                timed_out = deadline is not None and (
                    time.monotonic() >= deadline
                    or solver.reason_unknown() in ("timeout", "canceled"))
                return stopped(TIME_LIMIT if timed_out else SOLVER_UNKNOWN)
            checked = i
    except (KeyboardInterrupt, Interrupted, ctypes.ArgumentError) as exc:
        if not is_interrupt(exc):
            raise
        return stopped(INTERRUPTED)
    return BoundedResult(brokers, depth, False, [], time.monotonic() - started, True, depth)


def _frame(enc: Encoding, pre: Vars, post: Vars, dom: FiniteDomain) -> Any:
    """A stuttering step: nothing changes (lets shorter traces fit in k steps)."""
    same = [dom.forall(lambda x, n=n: post[n](x) == pre[n](x)) for n in enc.functions]
    same += [post[n] == pre[n] for n in enc.booleans]
    same += [z3.Implies(pre[enc.guards[n]], post[n] == pre[n]) for n in enc.brokers]
    return z3.And(*same)


# -- concrete abstract transitions ----------------------------------------------------------


Valuation = Mapping[str, Any]
"""A concrete abstract state: predicate name -> broker bitmask, boolean name -> bool,
broker variable -> index (None when its guard is false)."""


class TransitionChecker:
    """Whether concrete abstract transitions are allowed by an encoding's relations.

    One solver per action holds its relation over finite pre/post variables; a concrete
    pair is checked under assumptions fixing those variables, so nothing is rebuilt per
    pair, and each distinct (action, parameters, pre, post) is solved once.
    """

    def __init__(self, enc: Encoding, brokers: int) -> None:
        self.enc = enc
        self.n = brokers
        self.dom = FiniteDomain(brokers)
        self.pre = enc.declare("pre", self.dom)
        self.post = enc.declare("post", self.dom)
        self._solvers: dict[str, tuple[z3.Solver, dict[str, Any]]] = {}
        self._cache: dict[tuple, bool] = {}
        self._state_solvers: dict[str, z3.Solver] = {}
        self.solved = 0
        self._keep: list[Any] = []  # the Python objects owning the raw literal ASTs
        self._pre_lits = self._table(self.pre)
        self._post_lits = self._table(self.post)
        self._param_lits: dict[tuple[str, str], list[Any]] = {}

    def _table(self, v: Vars) -> list[tuple[str, str, list[Any]]]:
        """Per variable, its literals as raw ASTs (built once: assumptions are the hot path)."""
        keep = self._keep
        rows: list[tuple[str, str, list[Any]]] = []
        for name in self.enc.functions:
            pairs = [(z3.Not(bit), bit) for bit in v[name].bits]
            keep.extend(x for pair in pairs for x in pair)
            rows.append(("function", name, [(n.as_ast(), p.as_ast()) for n, p in pairs]))
        for name in self.enc.booleans:
            pair = (z3.Not(v[name]), v[name])
            keep.extend(pair)
            rows.append(("boolean", name, [(pair[0].as_ast(), pair[1].as_ast())]))
        for name in self.enc.brokers:
            eqs = [v[name] == value for value in self.dom.values]
            keep.extend(eqs)
            rows.append(("broker", name, [e.as_ast() for e in eqs]))
        return rows

    def _literals(self, table: list[tuple[str, str, list[Any]]], val: Any) -> list[Any]:
        get = val._asdict() if hasattr(val, "_asdict") else val
        lits = []
        for kind, name, asts in table:
            value = get[name]
            if kind == "function":
                lits.extend(pair[value >> i & 1] for i, pair in enumerate(asts))
            elif kind == "boolean":
                lits.append(asts[0][bool(value)])
            elif value is not None:
                lits.append(asts[value])
        return lits

    def _check(self, solver: z3.Solver, lits: list[Any]) -> Any:
        """``solver.check(*lits)`` without re-casting every literal."""
        self.solved += 1
        arr = (z3.Ast * len(lits))(*lits)
        return z3.CheckSatResult(z3.Z3_solver_check_assumptions(
            solver.ctx.ref(), solver.solver, len(lits), arr))

    def _solver(self, action: str) -> tuple[z3.Solver, dict[str, Any]]:
        entry = self._solvers.get(action)
        if entry is None:
            act = self.enc.action(action)
            params = {p: self.dom.broker(f"{act.name}_{p}") for p in act.params}
            solver = z3.Solver()
            solver.add(self.enc.transition(act, self.pre, self.post, params, self.dom))
            entry = self._solvers[action] = (solver, params)
        return entry

    def allows(self, action: str, pre: Valuation, post: Valuation,
               params: Mapping[str, int] | None = None) -> bool:
        """Whether ``action`` (with these broker parameters) may lead from pre to post."""
        key = (action, tuple(sorted((params or {}).items())), _key(pre), _key(post))
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        solver, symbols = self._solver(action)
        lits = self._literals(self._pre_lits, pre) + self._literals(self._post_lits, post)
        for p, b in (params or {}).items():
            eqs = self._param_lits.get((action, p))
            if eqs is None:
                objs = [symbols[p] == value for value in self.dom.values]
                self._keep.extend(objs)
                eqs = self._param_lits[(action, p)] = [e.as_ast() for e in objs]
            lits.append(eqs[b])
        ok = self._check(solver, lits) == z3.sat
        self._cache[key] = ok
        return ok

    def _formula(self, what: str) -> Any:
        if what == "wellformed":
            return self.enc.wellformed(self.pre, self.dom)
        if what == "property":
            return self.enc.property(self.pre, self.dom)
        if what == "init":
            return self.enc.init(self.pre, self.dom)
        if what == "invariant":
            return z3.And(*self.enc.invariant(self.pre, self.dom).values())
        return self.enc.invariant(self.pre, self.dom)[what]

    def satisfies(self, what: str, val: Valuation) -> bool:
        """Whether a concrete state satisfies ``what``: 'wellformed', 'property', 'init',
        'invariant' (every clause) or an invariant clause's name."""
        key = (what, _key(val))
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        solver = self._state_solvers.get(what)
        if solver is None:
            solver = z3.Solver()
            solver.add(z3.Not(self._formula(what)))
            self._state_solvers[what] = solver
        ok = self._check(solver, self._literals(self._pre_lits, val)) == z3.unsat
        self._cache[key] = ok
        return ok

    def broken(self, val: Valuation) -> list[str]:
        """The invariant clauses a concrete state violates (one solve when it has none)."""
        if self.satisfies("invariant", val):
            return []
        return [c for c in self.clauses() if not self.satisfies(c, val)]

    def clauses(self) -> list[str]:
        """The invariant's clause names."""
        return list(self.enc.invariant(self.pre, self.dom))


def _key(val: Valuation) -> tuple:
    return tuple(val.values()) if isinstance(val, dict) else tuple(val)


def names(actions: Iterable[SymbolicAction]) -> list[str]:
    """The names of some actions."""
    return [a.name for a in actions]
