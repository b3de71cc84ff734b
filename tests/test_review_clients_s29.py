"""`review` of consumer files: the hazards a holding one-owner check rests on are named
(session 29's client review)."""

from __future__ import annotations

import json

from kafkacheck.cli import main

CONSUMER = ("key.deserializer=a.B\nvalue.deserializer=a.B\ngroup.id=billing\n"
            "group.instance.id=billing-0\nenable.auto.commit=false\n")


def test_a_static_member_names_the_duplicate_instance_it_does_not_explore(tmp_path, capsys):
    # KIP-345: a second process with the same group.instance.id takes the member's
    # partitions without a rebalance; the first is fenced only at its next request.
    (tmp_path / "c.properties").write_text(CONSUMER)
    main(["review", str(tmp_path / "c.properties"), "--json", "--no-fix"])
    data = json.loads(capsys.readouterr().out)
    owner = next(g for g in data["guarantees"] if g["id"] == "one-owner")
    assert any("no second process runs with the same group.instance.id" in a
               and "--bound duplicate_instances=1" in a for a in owner["assumptions"])
    assert "a second process with the same group.instance.id" in \
        owner["fault_model"]["not_explored"]
