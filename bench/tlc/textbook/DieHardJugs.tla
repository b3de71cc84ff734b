--------------------------- MODULE DieHardJugs ---------------------------
(* Water-jug puzzle: a 3-gallon and a 5-gallon jug, an unlimited tap.     *)
(* Moves: fill a jug, empty a jug, pour one jug into the other until the  *)
(* source is empty or the target is full.  The "invariant" big /= 4 is    *)
(* expected to FAIL: its counterexample is a solution to the puzzle.      *)
(* Written for kafkacheck's engine self-tests.                             *)
EXTENDS Naturals

CONSTANTS SmallCap, BigCap      \* 3 and 5 in DieHardJugs.cfg

VARIABLES small, big            \* gallons currently in each jug

vars == <<small, big>>

Lesser(x, y) == IF x <= y THEN x ELSE y

TypeOK == small \in 0..SmallCap /\ big \in 0..BigCap

Init == small = 0 /\ big = 0

FillSmall  == small' = SmallCap /\ big' = big
FillBig    == big' = BigCap /\ small' = small
EmptySmall == small' = 0 /\ big' = big
EmptyBig   == big' = 0 /\ small' = small

PourSmallIntoBig ==
    LET moved == Lesser(small, BigCap - big)
    IN  /\ small' = small - moved
        /\ big' = big + moved

PourBigIntoSmall ==
    LET moved == Lesser(big, SmallCap - small)
    IN  /\ big' = big - moved
        /\ small' = small + moved

Next == \/ FillSmall \/ FillBig
        \/ EmptySmall \/ EmptyBig
        \/ PourSmallIntoBig \/ PourBigIntoSmall

Spec == Init /\ [][Next]_vars

BigNotFour == big /= 4
==========================================================================
