"""Consumer files of one group.id with different group.protocol values are one mixed group
(KIP-848 online migration), which no model runs: their group guarantees are NOT COVERED,
never HOLDS (session 30's KIP-848 review: the classic file got two HOLDS)."""

from __future__ import annotations

import json

from kafkacheck.cli import main

BASE = ("bootstrap.servers=b:9092\nkey.deserializer=a.B\nvalue.deserializer=a.B\n"
        "enable.auto.commit=true\nauto.offset.reset=earliest\n")


def _review(tmp_path, capsys, **groups: tuple[str, str]) -> tuple[int, dict]:
    paths = []
    for name, (group, protocol) in groups.items():
        path = tmp_path / f"{name}.properties"
        path.write_text(f"{BASE}group.id={group}\ngroup.protocol={protocol}\n")
        paths.append(str(path))
    code = main(["review", *paths, "--json", "--no-fix"])
    return code, json.loads(capsys.readouterr().out)


def test_one_group_of_classic_and_consumer_members_is_not_covered(tmp_path, capsys):
    code, data = _review(tmp_path, capsys, new=("g", "consumer"), old=("g", "classic"))
    assert code == 3
    assert data["guarantees"] and all(g["verdict"] == "not covered"
                                      for g in data["guarantees"])
    assert all("a mixed group" in g["reason"] for g in data["guarantees"])


def test_two_groups_with_their_own_protocols_are_checked_each(tmp_path, capsys):
    _code, data = _review(tmp_path, capsys, new=("g1", "consumer"), old=("g2", "classic"))
    assert not any("a mixed group" in g.get("reason", "") for g in data["guarantees"])
    assert any(g["verdict"] == "holds" for g in data["guarantees"])


def test_a_kip848_review_names_the_assignment_interval_it_does_not_explore(tmp_path, capsys):
    _code, data = _review(tmp_path, capsys, new=("g", "consumer"))
    owed = next(g for g in data["guarantees"] if g["id"] == "consumer-at-least-once")
    assert any("group.consumer.assignment.interval.ms=0" in a for a in owed["assumptions"])
