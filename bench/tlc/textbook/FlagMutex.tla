---------------------------- MODULE FlagMutex ----------------------------
(* A naive flag lock for a set of processes.  Each process, to enter its  *)
(* critical section, waits until no other process has its flag raised,   *)
(* then raises its own flag, then enters.  With AtomicTestAndSet = FALSE *)
(* the test and the set are separate steps (the bug): two processes can  *)
(* both pass the test before either raises its flag.  With TRUE they are *)
(* one atomic step and mutual exclusion holds.                           *)
(* Written for kafkacheck's engine self-tests.                           *)
EXTENDS Naturals

CONSTANTS Proc, AtomicTestAndSet

VARIABLES pc, flag   \* pc[p] \in {"idle", "ready", "cs"}; flag[p] \in BOOLEAN

vars == <<pc, flag>>

TypeOK ==
    /\ pc \in [Proc -> {"idle", "ready", "cs"}]
    /\ flag \in [Proc -> BOOLEAN]

Init ==
    /\ pc = [p \in Proc |-> "idle"]
    /\ flag = [p \in Proc |-> FALSE]

NoOtherFlag(p) == \A q \in Proc \ {p} : ~ flag[q]

\* Buggy path: test ...
Test(p) ==
    /\ ~ AtomicTestAndSet
    /\ pc[p] = "idle"
    /\ NoOtherFlag(p)
    /\ pc' = [pc EXCEPT ![p] = "ready"]
    /\ UNCHANGED flag

\* ... then, later, set and enter.
SetAndEnter(p) ==
    /\ pc[p] = "ready"
    /\ flag' = [flag EXCEPT ![p] = TRUE]
    /\ pc' = [pc EXCEPT ![p] = "cs"]

\* Correct path: test and set in one step.
TestAndSet(p) ==
    /\ AtomicTestAndSet
    /\ pc[p] = "idle"
    /\ NoOtherFlag(p)
    /\ flag' = [flag EXCEPT ![p] = TRUE]
    /\ pc' = [pc EXCEPT ![p] = "cs"]

Exit(p) ==
    /\ pc[p] = "cs"
    /\ flag' = [flag EXCEPT ![p] = FALSE]
    /\ pc' = [pc EXCEPT ![p] = "idle"]

Next == \E p \in Proc : Test(p) \/ SetAndEnter(p) \/ TestAndSet(p) \/ Exit(p)

Spec == Init /\ [][Next]_vars

MutualExclusion == \A p, q \in Proc : (p /= q) => ~ (pc[p] = "cs" /\ pc[q] = "cs")
==========================================================================
