------------------------- MODULE TwoPhaseCommit -------------------------
(* Two-phase commit between one transaction manager (TM) and a set of    *)
(* resource managers (RMs), in the style of Lamport's TwoPhase example.  *)
(* Messages are never lost or removed: the network is a growing set, so  *)
(* any message may be received any number of times.                     *)
(* If BuggyEarlyCommit is TRUE, the TM may decide "commit" as soon as    *)
(* it has heard Prepared from at least one RM (injected bug), which lets *)
(* one RM commit while another aborts.                                   *)
(* Written for kafkacheck's engine self-tests.                           *)
EXTENDS Naturals

CONSTANTS RM, BuggyEarlyCommit

VARIABLES
    rmState,     \* rmState[r] \in {"working", "prepared", "committed", "aborted"}
    tmState,     \* "init", "committed" or "aborted"
    tmPrepared,  \* the RMs from which the TM has received a Prepared message
    msgs         \* every message ever sent

vars == <<rmState, tmState, tmPrepared, msgs>>

Messages == [type : {"Prepared"}, rm : RM] \cup [type : {"Commit", "Abort"}]

TypeOK ==
    /\ rmState \in [RM -> {"working", "prepared", "committed", "aborted"}]
    /\ tmState \in {"init", "committed", "aborted"}
    /\ tmPrepared \subseteq RM
    /\ msgs \subseteq Messages

Init ==
    /\ rmState = [r \in RM |-> "working"]
    /\ tmState = "init"
    /\ tmPrepared = {}
    /\ msgs = {}

(* ---- transaction manager ---- *)

TMRcvPrepared(r) ==
    /\ tmState = "init"
    /\ [type |-> "Prepared", rm |-> r] \in msgs
    /\ tmPrepared' = tmPrepared \cup {r}
    /\ UNCHANGED <<rmState, tmState, msgs>>

CommitAllowed ==
    IF BuggyEarlyCommit THEN tmPrepared /= {} ELSE tmPrepared = RM

TMCommit ==
    /\ tmState = "init"
    /\ CommitAllowed
    /\ tmState' = "committed"
    /\ msgs' = msgs \cup {[type |-> "Commit"]}
    /\ UNCHANGED <<rmState, tmPrepared>>

TMAbort ==
    /\ tmState = "init"
    /\ tmState' = "aborted"
    /\ msgs' = msgs \cup {[type |-> "Abort"]}
    /\ UNCHANGED <<rmState, tmPrepared>>

(* ---- resource managers ---- *)

RMPrepare(r) ==
    /\ rmState[r] = "working"
    /\ rmState' = [rmState EXCEPT ![r] = "prepared"]
    /\ msgs' = msgs \cup {[type |-> "Prepared", rm |-> r]}
    /\ UNCHANGED <<tmState, tmPrepared>>

RMChooseToAbort(r) ==
    /\ rmState[r] = "working"
    /\ rmState' = [rmState EXCEPT ![r] = "aborted"]
    /\ UNCHANGED <<tmState, tmPrepared, msgs>>

RMRcvCommitMsg(r) ==
    /\ [type |-> "Commit"] \in msgs
    /\ rmState' = [rmState EXCEPT ![r] = "committed"]
    /\ UNCHANGED <<tmState, tmPrepared, msgs>>

RMRcvAbortMsg(r) ==
    /\ [type |-> "Abort"] \in msgs
    /\ rmState' = [rmState EXCEPT ![r] = "aborted"]
    /\ UNCHANGED <<tmState, tmPrepared, msgs>>

Next ==
    \/ TMCommit
    \/ TMAbort
    \/ \E r \in RM :
         \/ TMRcvPrepared(r)
         \/ RMPrepare(r)
         \/ RMChooseToAbort(r)
         \/ RMRcvCommitMsg(r)
         \/ RMRcvAbortMsg(r)

Spec == Init /\ [][Next]_vars

(* No RM has committed while another has aborted. *)
TCConsistent ==
    \A r1, r2 \in RM : ~ (rmState[r1] = "aborted" /\ rmState[r2] = "committed")
==========================================================================
