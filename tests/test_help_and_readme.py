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


def test_the_readme_machine_example_runs_and_its_machine_can_fail():
    block = re.search(r"```python\n(# test_our_kafka_machine\.py\n.*?)```", README, re.S)
    assert block, "README lost its machine() example"
    namespace: dict = {}
    exec(compile(block.group(1), "README.md", "exec"), namespace)
    machine_class = namespace["OurTopic"]
    run_state_machine_as_test(machine_class, settings=settings(
        max_examples=5, stateful_step_count=20, deadline=None, database=None))
    # The same example with acks=1: the machine finds the lost write (it is not vacuous).
    unsafe = block.group(1).replace('"acks": "all"', '"acks": "1"')
    namespace = {}
    exec(compile(unsafe, "README.md", "exec"), namespace)
    with pytest.raises(AssertionError, match="NoAckedWriteLost"):
        run_state_machine_as_test(namespace["OurTopic"], settings=settings(
            max_examples=200, stateful_step_count=30, deadline=None, database=None,
            phases=[Phase.generate]))


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
