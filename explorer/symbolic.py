"""Z3 engine: inductive invariants for any cluster size, and bounded model checking.

A symbolic encoding describes a model with Z3 terms: state variables (functions of an
uninterpreted Broker sort, so no cluster size is fixed), an initial condition, and
actions as (guard, updates) over a pre- and a post-state.  Two questions:

* ``prove_inductive``: Init => Inv and Inv /\\ Action => Inv' for every action, and
  Inv => Property.  Unsat everywhere proves the property for every number of brokers;
  a sat case yields a counterexample to induction (CTI) naming the action.
* ``bounded_check``: unroll k steps over a fixed number of brokers and ask for a state
  violating the property (the trace comes from the Z3 model).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

Vars = dict[str, Any]
_COUNTER = [0]  # Z3 enumeration sorts need fresh names


@dataclass
class SymbolicAction:
    """An action: existentially quantified parameters, and a transition relation."""

    name: str
    params: Sequence[str]
    relation: Callable[[Vars, Vars, dict[str, Any]], Any]
    source: str = ""


@dataclass
class Encoding:
    """A symbolic model: variable declarations, Init, actions, invariant and property."""

    name: str
    declare: Callable[[str, Any], Vars]
    init: Callable[[Vars], Any]
    actions: list[SymbolicAction]
    invariant: Callable[[Vars], Any]
    property: Callable[[Vars], Any]
    broker_sort: Any
    describe: Callable[[z3.ModelRef, Vars, list[Any]], dict[str, Any]] = field(
        default=lambda m, v, b: {})


@dataclass
class InductionResult:
    """Per obligation: proved (unsat) or a counterexample to induction."""

    proved: bool
    obligations: dict[str, str]
    cti: dict[str, dict[str, Any]]
    seconds: float


DEADLINE: list[float | None] = [None]
"""time.monotonic() past which solvers give up (set by `prove --max-seconds`)."""


def _solver() -> z3.Solver:
    solver = z3.Solver()
    budget_ms = 60_000
    if DEADLINE[0] is not None:  # each solver gets what is left of the time budget
        budget_ms = max(1, min(budget_ms, int((DEADLINE[0] - time.monotonic()) * 1000)))
    solver.set("timeout", budget_ms)
    return solver


def prove_inductive(enc: Encoding) -> InductionResult:
    """Check that the invariant is inductive and implies the property, for any broker count."""
    started = time.monotonic()
    pre = enc.declare("pre", enc.broker_sort)
    post = enc.declare("post", enc.broker_sort)
    obligations: dict[str, str] = {}
    cti: dict[str, dict[str, Any]] = {}

    def check(name: str, formula: Any, vars_: Vars) -> None:
        solver = _solver()
        solver.add(formula)
        verdict = solver.check()
        if verdict == z3.unsat:
            obligations[name] = "proved"
        elif verdict == z3.sat:
            obligations[name] = "counterexample to induction"
            cti[name] = {"model": str(solver.model())}
        else:
            obligations[name] = "unknown (solver gave up)"

    check("Init => Inv", z3.And(enc.init(pre), z3.Not(enc.invariant(pre))), pre)
    check("Inv => Property", z3.And(enc.invariant(pre), z3.Not(enc.property(pre))), pre)
    vacuous = []
    for action in enc.actions:
        params = {p: z3.Const(f"{action.name}_{p}", enc.broker_sort) for p in action.params}
        step = action.relation(pre, post, params)
        formula = z3.And(enc.invariant(pre), step, z3.Not(enc.invariant(post)))
        check(f"Inv /\\ {action.name} => Inv'", formula, pre)
        # Non-vacuity: the action must be possible from some state satisfying Inv.
        solver = _solver()
        solver.add(enc.invariant(pre), step)
        possible = solver.check()
        if possible == z3.unsat:
            vacuous.append(action.name)
        elif possible != z3.sat:
            obligations[f"{action.name} is possible"] = "unknown (solver gave up)"
    init_ok = _solver()
    init_ok.add(enc.init(pre))
    possible = init_ok.check()
    if possible == z3.unsat:
        vacuous.append("Init")
    elif possible != z3.sat:
        obligations["Init is possible"] = "unknown (solver gave up)"
    for name in vacuous:
        obligations[f"{name} is possible"] = "vacuous: never enabled under Inv"
    proved = all(v == "proved" for v in obligations.values())
    return InductionResult(proved, obligations, cti, time.monotonic() - started)


@dataclass
class BoundedResult:
    """A bounded model-checking run: a violating trace within k steps, or none."""

    brokers: int
    depth: int
    violated: bool
    trace: list[tuple[str, dict[str, Any]]]
    seconds: float
    complete_to_depth: bool = True


def bounded_check(enc: Encoding, brokers: int, depth: int) -> BoundedResult:
    """Search for a property violation within ``depth`` steps over ``brokers`` brokers."""
    started = time.monotonic()
    _COUNTER[0] += 1
    sort, values = z3.EnumSort(f"{enc.name}Broker_{_COUNTER[0]}",
                               [f"B{i + 1}" for i in range(brokers)])
    steps = [enc.declare(f"s{i}", sort) for i in range(depth + 1)]
    solver = _solver()
    solver.add(enc.init(steps[0]))
    choice = [z3.Int(f"action_{i}") for i in range(depth)]
    params_at: list[dict[str, dict[str, Any]]] = []
    for i in range(depth):
        options = []
        params_at.append({})
        for k, action in enumerate(enc.actions):
            params = {p: z3.Const(f"a{i}_{action.name}_{p}", sort) for p in action.params}
            params_at[i][action.name] = params
            options.append(z3.And(choice[i] == k, action.relation(steps[i], steps[i + 1], params)))
        options.append(z3.And(choice[i] == -1, _frame(steps[i], steps[i + 1], values)))
        solver.add(z3.Or(*options))
    for i in range(depth + 1):
        solver.push()
        solver.add(z3.Not(enc.property(steps[i])))
        verdict = solver.check()
        if verdict == z3.sat:
            model = solver.model()
            trace = [("Init", enc.describe(model, steps[0], values))]
            for j in range(i):
                k = model.eval(choice[j]).as_long()
                if k < 0:
                    continue
                action = enc.actions[k]
                args = ", ".join(str(model.eval(params_at[j][action.name][p]))
                                 for p in action.params)
                label = f"{action.name}({args})" if args else action.name
                trace.append((label, enc.describe(model, steps[j + 1], values)))
            return BoundedResult(brokers, i, True, trace, time.monotonic() - started)
        solver.pop()
        if verdict != z3.unsat:
            return BoundedResult(brokers, i, False, [], time.monotonic() - started, False)
    return BoundedResult(brokers, depth, False, [], time.monotonic() - started)


def _frame(pre: Vars, post: Vars, values: Sequence[Any]) -> Any:
    """A stuttering step: nothing changes (lets shorter traces fit in k steps)."""
    same = []
    for name, var in pre.items():
        if isinstance(var, z3.FuncDeclRef):
            same.extend(var(b) == post[name](b) for b in values)
        else:
            same.append(var == post[name])
    return z3.And(*same)
