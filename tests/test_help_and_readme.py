"""Help that is complete, and README examples that run as written."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from kafkacheck.cli import COMMANDS, build_parser, main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_top_level_help_lists_every_command_and_no_other(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    listed = set(re.findall(r"^    (\S+)", out, re.M))
    assert listed == set(COMMANDS) == set(_subparsers(build_parser()))
    for name in ("prove", "conformance", "review", "partition", "assign", "replay"):
        assert name in listed
    assert "graph" not in listed


@pytest.mark.parametrize("name", sorted(_subparsers(build_parser())))
def test_every_command_and_option_has_help_text(name):
    parser = _subparsers(build_parser())[name]
    top = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert any(c.dest == name and c.help for c in top._choices_actions)
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"{name} {action.option_strings or action.dest} has no help"


def _machine_block() -> str:
    block = re.search(r"```python\n(# test_our_kafka_machine\.py\n.*?)```", README, re.S)
    assert block, "README lost its machine() example"
    return block.group(1)


def _machine(source: str):
    namespace: dict = {}
    exec(compile(source, "README.md", "exec"), namespace)
    return namespace["OurTopic"]


def test_the_readme_machine_example_runs_and_its_machine_can_fail():
    block = re.search(r"```python\n(# test_our_kafka_machine\.py\n.*?)```", README, re.S)
    assert block, "README lost its machine() example"
    machine_class = _machine(block.group(1))
    run_state_machine_as_test(machine_class, settings=settings(
        max_examples=5, stateful_step_count=20, deadline=None, database=None))
    # The same example with acks=1: the machine finds the lost write (it is not vacuous).
    unsafe = block.group(1).replace('"acks": "all"', '"acks": "1"')
    namespace = {}
    exec(compile(unsafe, "README.md", "exec"), namespace)
    with pytest.raises(AssertionError, match="NoAckedWriteLost"):
        run_state_machine_as_test(namespace["OurTopic"], settings=settings(
            max_examples=200, stateful_step_count=30, deadline=None, database=None,
            phases=[Phase.generate], derandomize=True))  # (random runs missed it, once)


def test_the_readme_machine_bounds_hold_exhaustively_and_one_more_crash_loses_a_write():
    # Audit s20 finding 1: the README's machine() passed at crashes=2, records=4, where the
    # exhaustive checker finds an acknowledged write lost: a green in the documentation for
    # a configuration the tool refutes.  The exhaustive engine on the machine's own model
    # (same settings, bounds and property) must give the verdict the README states.
    from kafkacheck.explorer.bfs import breadth_first

    block = _machine_block()
    ours = _machine(block)
    result = breadth_first(ours.model, list(ours.property_names), stop_at_first=True,
                           max_seconds=60)  # README bounds beyond reach: no verdict
    assert (result.result, result.complete, result.distinct_states) == ("holds", True, 57_909)
    assert "it holds, 57,909 states" in README
    # "One more crash (crashes=2, same settings, records=2) ... lost in 11 steps on 4.4".
    assert "crashes=1, records=2)" in block
    more = _machine(block.replace("crashes=1, records=2)", "crashes=2, records=2)"))
    result = breadth_first(more.model, list(more.property_names), stop_at_first=True)
    assert result.result == "violated"
    assert len(result.violation("NoAckedWriteLost").trace) == 11
    assert "write lost in 11 steps on Kafka 4.4" in README


TIMING = re.compile(r"\d+\.\d+s\b")  # 0.37s, (11.9s of a 90s budget): machine-dependent


def _shown(command: str) -> list[str]:
    """The README's quoted output of ``command`` (after its continuation lines)."""
    start = README.index(f"$ {command}")
    lines = README[start:README.index("```", start)].splitlines()
    while lines[0].endswith("\\"):
        lines.pop(0)
    return lines[1:]


def _assert_printed(shown: list[str], printed: str) -> None:
    """Every shown line is printed, in order and adjacent, except where a line '...' elides
    any number of lines and '...' inside a line elides the rest of it or a part; timings
    are masked."""
    parts = []
    for line in shown:
        if line.strip() == "...":
            parts.append("(?:[^\n]*\n)*?")
        else:
            text = re.escape(TIMING.sub("#s", line)).replace(re.escape("..."), "[^\n]*")
            parts.append(text + "\n")
    pattern = "".join(parts)
    assert re.search(pattern, TIMING.sub("#s", printed) + "\n"), (
        "README shows output the command no longer prints:\n" + "\n".join(
            line for line in shown
            if line.strip() != "..." and not re.search(
                re.escape(TIMING.sub("#s", line)).replace(re.escape("..."), "[^\n]*"),
                TIMING.sub("#s", printed))))


def test_the_readme_result_example_is_what_check_prints(capsys):
    # Audit s20 finding 2: the quoted fault line named "disk failure", a fault that no
    # longer exists, and missed the lines the tool prints since.
    assert main(["check", "replication", "--set", "acks=1", "--set",
                 "replication.factor=3"]) == 1
    printed = capsys.readouterr().out
    _assert_printed(_shown("kafkacheck check replication --set acks=1 --set "
                           "replication.factor=3"), printed)
    mermaid = re.search(r"```mermaid\n(sequenceDiagram\n.*?)```", README, re.S).group(1)
    assert mermaid in printed


@pytest.mark.thorough  # the whole review: about 12 s on 2 cores
def test_the_readme_review_example_is_what_review_prints(capsys):
    files = [f"examples/review/orders-{name}.properties"
             for name in ("producer", "consumer", "topic")]
    root = Path(__file__).resolve().parents[1]
    assert main(["review", *(str(root / f) for f in files)]) == 1
    printed = capsys.readouterr().out.replace(f"{root}/", "")
    _assert_printed(_shown("kafkacheck review examples/review/orders-producer.properties"),
                    printed)


def test_the_readme_prove_sentence_is_what_prove_prints(capsys):
    # Audit s20 finding 3: "power loss without flush.messages=1 breaks it" was not what 4.4
    # printed then: with ELR the induction failed at Restart, with flush.messages=1 too.  Since
    # s27 an fsync per message proves with ELR as without it.
    def prove(*sets: str) -> tuple[int, str]:
        code = main(["prove", "acks-all-safe", *(a for s in sets for a in ("--set", s))])
        return code, capsys.readouterr().out

    code, out = prove()
    assert code == 3 and "counterexample to induction    Inv /\\ Restart => Inv'" in out
    code, out = prove("flush.messages=1")
    assert code == 0 and "PROVED for every cluster size" in out
    code, out = prove("flush.messages=1", "eligible.leader.replicas.version=0")
    assert code == 0 and "PROVED for every cluster size" in out
    code, out = prove("eligible.leader.replicas.version=0")
    assert code == 3 and "counterexample to induction    Inv /\\ PowerLoss => Inv'" in out
    assert main(["prove", "acks-all-safe", "--bound", "crash_kind=process"]) == 0
    capsys.readouterr()
    text = " ".join(README.split())
    assert ("With power loss it is PROVED with `flush.messages=1` (an fsync per message loses "
            "nothing to power loss), with or without Eligible Leader Replicas; without that "
            "setting it is NOT PROVED, on 4.4 at `Restart`") in text
    assert ("with `eligible.leader.replicas.version=0` at `PowerLoss` (one crash loses a "
            "write)") in text


def test_the_readme_preset_table_names_every_preset():
    # Audit s20 finding 6: seven presets were missing from the table.
    from kafkacheck.model.presets import PRESETS

    section = README[README.index("### Presets"):README.index("## Explore a counterexample")]
    first_column = [row.split("|")[1] for row in section.splitlines()
                    if row.startswith("| `")]
    named = {name for cell in first_column for name in re.findall(r"`([^`]+)`", cell)}
    assert named == set(PRESETS)


def test_the_readme_kip903_row_says_kraft_as_the_model_does():
    # Audit s20 finding 6: the 3.5 refusal is KRaft's (the preset sets process.roles); a
    # ZooKeeper controller (KafkaController 3.5.0) checks only liveness, no broker epoch.
    from kafkacheck.model.presets import PRESETS
    from kafkacheck.testing import check

    assert "refused from 3.5 on KRaft" in README
    preset = PRESETS["kip903-broker-epochs"]
    assert preset.settings["process.roles"] == "broker"
    kraft = check(dict(preset.settings), properties=list(preset.properties),
                  bounds=dict(preset.bounds), kafka_version="3.5")
    zookeeper = check({k: v for k, v in preset.settings.items() if k != "process.roles"},
                      properties=list(preset.properties), bounds=dict(preset.bounds),
                      kafka_version="3.5")
    assert (kraft.result, zookeeper.result) == ("holds", "violated")


def test_the_readme_quotes_pyprojects_addopts():
    import tomllib

    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    addopts = tomllib.loads(pyproject.read_text())["tool"]["pytest"]["ini_options"]["addopts"]
    assert f"`addopts = \"{addopts}\"`" in README


def test_the_readme_counts_the_conformance_scenarios_it_runs_and_recorded():
    import json

    from kafkacheck.conformance.__main__ import SCENARIO_NAMES

    data = Path(__file__).resolve().parents[1] / "reports" / "data"
    recorded = [s["scenario"] for s in
                json.loads((data / "conformance-summary.json").read_text())["scenarios"]]
    txn = [s["scenario"] for s in
           json.loads((data / "conformance-summary-txn.json").read_text())["scenarios"]]
    text = " ".join(README.split())
    assert f"`conformance run --roles split` runs {len(SCENARIO_NAMES)} scenarios" in text
    assert recorded == list(SCENARIO_NAMES[:11]) and txn == [SCENARIO_NAMES[11]]
    assert (f"has the first {len(recorded)} (about 6 minutes), and the twelfth, "
            f"`{txn[0]}`, is recorded on its own") in text


@pytest.mark.parametrize(("argv", "printed", "quoted"), [
    (["replication", "--bound", "partitions=2", "--set", "replication.factor=2",
      "--bound", "records=1"], "(symmetry: brokers and partitions)",
     "(`symmetry: brokers and partitions` for two partitions of `replication.factor=2`"),
    (["replication", "--bound", "partitions=2", "--bound", "records=1", "--bound",
      "crashes=0"], "(symmetry: partitions)", "`symmetry: partitions`"),
    (["controller", "--set", "process.roles=broker"], "(symmetry: controllers)",
     "`symmetry: controllers`"),
    (["replication"], "note: symmetry=1: nothing here is interchangeable",
     "Where nothing is interchangeable (`replication` with one partition) it says so in a "
     "`note:` and explores every state"),
])
def test_the_readme_symmetry_annotations_are_printed(argv, printed, quoted, capsys):
    # Audit s20 finding 6: the README quoted one annotation as if every run printed it.
    main(["check", *argv, "--bound", "symmetry=1", "--max-seconds", "30"])
    assert printed in capsys.readouterr().out
    assert quoted in " ".join(README.split())


def test_the_readme_partition_example_prints_what_it_shows(capsys):
    assert main(["partition", "--key", "order-42", "--partitions", "12"]) == 0
    out = capsys.readouterr().out
    for line in ("key 'order-42' -> partition 0 of 12", "key bytes (hex): 6f726465722d3432",
                 "murmur2: 501153024; toPositive: 501153024; 501153024 % 12 = 0"):
        assert line in out and line in README


def test_the_readme_assign_example_prints_what_it_shows(capsys):
    assert main(["assign", "--strategy", "cooperative-sticky", "--members", "4", "--topics",
                 "orders:3", "--previous",
                 "consumer-1=orders-0+orders-1,consumer-2=orders-2,consumer-3="]) == 0
    out = capsys.readouterr().out
    shown = README[README.index("$ kafkacheck assign"):]
    for line in out.splitlines()[:9]:
        assert line in shown, line


@pytest.mark.parametrize("name", ["check", "simulate", "prove", "replay", "explore", "review"])
def test_every_command_that_builds_a_model_takes_the_kafka_version(name):
    parser = _subparsers(build_parser())[name]
    option = next(a for a in parser._actions if "--kafka-version" in a.option_strings)
    assert option.help and "4.4" in option.help


def test_explore_builds_its_model_for_the_kafka_version_given():
    from kafkacheck.cli import resolve

    args = build_parser().parse_args(["explore", "replication", "--kafka-version", "2.8"])
    model, config, _ = resolve(args)
    assert config.kafka_version == "2.8" and config.kafka["acks"] == 1  # acks=1 before 3.0


def test_an_empty_kafka_version_is_bad_input_not_the_default(capsys):
    assert main(["check", "twophase", "--kafka-version", "", "--max-states", "3"]) == 2
    assert "invalid Kafka version ''" in capsys.readouterr().err


def test_every_conformance_command_and_option_has_help_text():
    from kafkacheck.conformance.__main__ import _parser

    for name, parser in _subparsers(_parser()).items():
        for action in parser._actions:
            if not isinstance(action, argparse._HelpAction):
                assert action.help, f"conformance {name} {action.option_strings} has no help"
