"""`kafkacheck list` names every property of every model, with the bounds or settings that
bring those a model's defaults lack, and `--property` names them for a property this run
does not have (audit s20, finding 4).

A model's properties depend on its configuration: WritesAccepted exists only with rolling
restarts, the group's replicated-log properties only with log=replicated, and the
transactions model refuses its defaults (it needs a transactional.id or a loop), so a
listing of default instances left all of its properties out.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kafkacheck.cli import main
from kafkacheck.config import UsageError, build_config
from kafkacheck.model import presets, registry, versions

ROOT = Path(__file__).resolve().parent.parent


def _listing(capsys) -> dict[str, dict]:
    assert main(["list", "--json"]) == 0
    return {m["name"]: m for m in json.loads(capsys.readouterr().out)["models"]}


def _names(cls, settings=(), bounds=(), version=None) -> set[str]:
    """The property names of ``cls`` under these options; empty where they are refused."""
    try:
        config = build_config(cls, list(settings), bounds=list(bounds), kafka_version=version)
        return {p.name for p in cls(config).properties()}
    except UsageError:
        return set()


def _from_options(text: str) -> tuple[list, list, str | None, dict[str, int]]:
    """'--set a=b --bound n>=1 --kafka-version 3.5' as settings, bounds, version, and the
    bounds given as 'at least'."""
    settings, bounds, version, at_least = [], [], None, {}
    tokens = text.split()
    for flag, value in zip(tokens[::2], tokens[1::2], strict=True):
        if flag == "--set":
            settings.append(tuple(value.split("=", 1)))
        elif flag == "--kafka-version":
            version = value
        else:
            assert flag == "--bound", text
            name, op, number = re.fullmatch(r"(\w+)(>=|=)(.+)", value).groups()
            bounds.append((name, number))
            if op == ">=":
                at_least[name] = int(number)
    return settings, bounds, version, at_least


def test_every_property_has_its_bound_or_setting_named(capsys):
    models = _listing(capsys)
    needs = {name: {p["name"]: p.get("needs", []) for p in m["properties"]}
             for name, m in models.items()}
    assert needs["replication"]["WritesAccepted"] == ["--bound rolling_restarts>=1"]
    assert needs["replication"]["IsrJoinersHoldCommitted"] == [
        "--bound disk_losses>=1", "--bound isr_updates=in-flight"]
    assert needs["replication"]["NoAckedWriteLost"] == []
    for name in ("ReadRecordsStay", "NoAckedWriteLost", "CommittedRecordsStay"):
        assert needs["group"][name] == ["--bound log=replicated"]
    for name in ("LeaderFailsOver", "RetryAfterFailover"):
        assert needs["producer"][name] == ["--bound crashes>=1", "--bound leader_changes>=1"]
    assert needs["producer"]["KeyOrder"] == ["--bound keys>=1"]
    delivery = {n for n, w in needs["group-consumer"].items()
                if w == ["--bound records>=1"]}
    assert delivery == {"NoConcurrentProcessing", "ConsumingNeverDeletes", "AtLeastOnce",
                        "AtMostOnce", "NoSkippedOffsets", "ConsumersReadBelowHw",
                        "SomeRecordProcessed", "AllRecordsProcessed"}
    # The transactions model refuses its defaults: listed with a transactional.id, and its
    # loop properties with the loop (which runs without a transactional.id too).
    txn = models["transactions"]
    assert txn["defaults_refused"].startswith("the transactions model needs a transactional.id")
    assert txn["properties_with"] == "--set transactional.id=app"
    assert {n for n, w in needs["transactions"].items() if not w} == {
        "NoAbortedRead", "AtomicCommit", "CommittedNotLost", "ZombieFenced",
        "TransactionsComplete", "LsoAdvances", "CommittedBecomesVisible", "SomeCommitVisible",
        "SomeAbortFiltered"}
    assert {n: w for n, w in needs["transactions"].items() if w} == {
        n: ["--set enable.auto.commit=false --bound inputs>=1"]
        for n in ("ExactlyOnce", "ZombieOffsetsFenced", "LoopCompletes", "SomeOutputVisible")}


def test_what_the_listing_says_brings_a_property_does(capsys):
    # Each listed condition, built as typed, has the property (and a bound listed as
    # NAME>=V has it one above V too); the base has every property listed without one,
    # and none listed with one.
    for name, entry in _listing(capsys).items():
        cls = registry.model_class(name)
        base = _from_options(entry.get("properties_with", ""))
        base_names = _names(cls, base[0], base[1], base[2])
        for prop in entry["properties"]:
            if not prop.get("needs"):
                assert prop["name"] in base_names, (name, prop["name"])
                continue
            assert prop["name"] not in base_names, (name, prop["name"])
            for options in prop["needs"]:
                settings, bounds, version, at_least = _from_options(options)
                assert prop["name"] in _names(cls, settings, bounds, version), options
                for bound, value in at_least.items():
                    higher = [(b, str(value + 1) if b == bound else v) for b, v in bounds]
                    assert prop["name"] in _names(cls, settings, higher, version), options


def _raised(bound):
    if bound.choices:
        return [c for c in bound.choices if c != bound.default]
    top = bound.maximum if bound.maximum is not None else 10_000
    return [str(v) for v in (int(bound.default) + 1, int(bound.default) + 2) if v <= top]


def test_no_probe_wider_than_the_listings_finds_an_unlisted_property(capsys):
    # Wider than `list` itself: from the defaults, a transactional.id, and every preset,
    # each bound raised by one and two (and to each choice), and every release's defaults.
    listed = {name: {p["name"] for p in m["properties"]}
              for name, m in _listing(capsys).items()}
    for name in registry.available():
        cls = registry.model_class(name)
        anchors = [([], [], None), ([("transactional.id", "app")], [], None)]
        anchors += [(list(p.settings.items()), [(k, str(v)) for k, v in p.bounds.items()],
                     p.kafka_version) for p in presets.PRESETS.values() if p.model == name]
        found = set()
        for settings, bounds, version in anchors:
            found |= _names(cls, settings, bounds, version)
            for bound in cls.bounds:
                for value in _raised(bound):
                    others = [(k, v) for k, v in bounds if k != bound.name]
                    found |= _names(cls, settings, [*others, (bound.name, value)], version)
        for release in versions.RELEASES:
            found |= _names(cls, version=versions.text(release))
            found |= _names(cls, [("transactional.id", "app")], version=versions.text(release))
        assert found <= listed[name], (name, found - listed[name])


def test_every_property_the_sources_define_is_listed(capsys):
    # A property added under a new condition that no probe reaches fails here.
    listed = {p["name"] for m in _listing(capsys).values() for p in m["properties"]}
    pattern = re.compile(r"\b(?:always|always_step|sometimes|eventually)\(\s*\"(\w+)\"")
    defined = {name for folder in ("properties", "model")
               for path in (ROOT / folder).rglob("*.py")
               for name in pattern.findall(path.read_text())}
    assert len(defined) > 80
    assert defined <= listed, defined - listed


def test_the_text_listing_marks_the_condition_beside_the_property(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert ("  always     WritesAccepted (with --bound rolling_restarts>=1): every partition "
            "always has a live leader") in out
    assert ("  (its defaults are refused: the transactions model needs a transactional.id "
            "(set transactional.id=app), or a consume-transform-produce loop (--bound "
            "inputs=2) to run without one; the properties below are those with --set "
            "transactional.id=app)") in out
    assert "  always     NoAbortedRead: a consumer with isolation.level=read_uncommitted" in out


@pytest.mark.parametrize(("argv", "error"), [
    (["check", "replication", "--property", "WritesAccepted"],
     "WritesAccepted is a property of replication with --bound rolling_restarts>=1"),
    (["check", "group", "--property", "ReadRecordsStay"],
     "ReadRecordsStay is a property of group with --bound log=replicated"),
    (["check", "replication", "--bound", "crashes=0", "--property", "LeaderFailsOver"],
     "LeaderFailsOver is a property of replication with --bound crashes>=1 or with --bound "
     "leader_changes>=1"),
    (["check", "acks1-loss", "--property", "ProduceRequestsComplete"],
     "ProduceRequestsComplete is not a property of replication with --set acks=1 (it is with "
     "acks at its default, all)"),
    (["check", "transactions", "--set", "transactional.id=app", "--property", "ExactlyOnce"],
     "ExactlyOnce is a property of transactions with --set enable.auto.commit=false --bound "
     "inputs>=1"),
    (["check", "transactions", "--set", "enable.auto.commit=false", "--bound", "inputs=1",
      "--property", "NoAbortedRead"],
     "NoAbortedRead is a property of transactions with its default settings and bounds and "
     "--set transactional.id=app, not with those of this run"),
    (["prove", "replication", "--property", "WritesAccepted"],
     "WritesAccepted is a property of replication with --bound rolling_restarts>=1"),
    (["check", "replication", "--property", "NoAckedWritesLost"],
     "unknown property 'NoAckedWritesLost' for model replication (did you mean "
     "NoAckedWriteLost?)"),
])
def test_a_property_of_other_bounds_is_named_so_in_one_line(argv, error, capsys):
    assert main(argv) == 2
    assert capsys.readouterr().err == f"kafkacheck: error: {error}\n"
