"""Network namespaces and nftables cuts (rule rendering needs nothing; the rest needs root)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from kafkacheck.conformance.network import (
    CLIENTS,
    Link,
    NetnsNetwork,
    NetworkError,
    blocked_pairs,
    cleanup_stale,
    missing_tools,
    render_ruleset,
)

ADDR = {"a": "10.0.0.11", "b": "10.0.0.12", "c": "10.0.0.13", CLIENTS: "10.0.0.1"}


def test_a_cut_both_ways_drops_in_both_namespaces() -> None:
    pairs = blocked_pairs([Link("a", "b")])
    assert pairs == {("a", "b", "all"), ("b", "a", "all")}
    a = render_ruleset("a", pairs, ADDR)
    assert "ip saddr { 10.0.0.12 } drop" in a and "ip daddr { 10.0.0.12 } drop" in a
    assert "10.0.0.13" not in render_ruleset("c", pairs, ADDR).split("policy accept;", 1)[1]


def test_a_one_way_cut_drops_only_that_direction() -> None:
    pairs = blocked_pairs([Link("a", CLIENTS, "to")])
    assert pairs == {("a", CLIENTS, "all")}
    rules = render_ruleset("a", pairs, ADDR)
    assert "ip daddr { 10.0.0.1 } drop" in rules
    assert "ip saddr" not in rules


def test_a_data_cut_spares_handshakes_and_pure_acks() -> None:
    rules = render_ruleset("a", blocked_pairs([Link("a", CLIENTS, "to", "data")]), ADDR)
    assert "ip length > 80 ip daddr { 10.0.0.1 } drop" in rules
    assert "tcp flags & psh == psh ip daddr { 10.0.0.1 } drop" in rules
    assert "\n    ip daddr" not in rules  # no rule drops every packet


def test_the_ruleset_replaces_the_whole_table() -> None:
    rules = render_ruleset("a", set(), ADDR)
    assert rules.startswith("table inet kafkacheck\ndelete table inet kafkacheck\n")
    assert "drop" not in rules


needs_root = pytest.mark.skipif(
    bool(missing_tools()), reason=f"needs {', '.join(missing_tools())} for namespaces"
)


@needs_root
def test_cuts_are_real_and_heal(tmp_path: Path) -> None:
    with NetnsNetwork(("a", "b", "c"), state_dir=tmp_path) as net:
        assert net.probe("a", "b") and net.probe(CLIENTS, "c")
        link = net.cut("a", "b")
        assert not net.probe("a", "b") and not net.probe("b", "a")
        assert net.probe("a", "c") and net.probe(CLIENTS, "a")
        net.heal(link)
        assert net.probe("a", "b")
        net.cut(CLIENTS, "c")
        assert not net.probe(CLIENTS, "c") and net.probe(CLIENTS, "b")
        net.heal_all()
        assert net.probe(CLIENTS, "c")
        names = set(net.namespaces.values())
        with pytest.raises(NetworkError):
            net.cut("a", "nope")
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert not names & {line.split()[0] for line in listed.splitlines() if line.strip()}
    assert not list(tmp_path.glob("*.json"))


@needs_root
def test_a_killed_runs_namespaces_are_removed_by_the_next_run(tmp_path: Path) -> None:
    net = NetnsNetwork(("a",), state_dir=tmp_path).create()
    state = tmp_path / f"{net.tag}.json"
    data = json.loads(state.read_text())
    dead = subprocess.Popen(["true"])
    dead.wait()
    data["owner_pid"] = dead.pid  # as if the run that created it had been killed
    state.write_text(json.dumps(data))
    assert cleanup_stale(tmp_path) == [net.tag]
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert net.namespaces["a"] not in listed
    assert not state.exists()
    assert os.path.exists("/proc/self")  # (and this process was not touched)
