"""A broker's group size limit below the members a run starts refuses one of them
(GROUP_MAX_SIZE_REACHED): NOT COVERED, where it was "no effect" and HOLDS. And what
auto.offset.reset=latest leaves unowed is said in the properties' own words (session 30's
classic group review)."""

from __future__ import annotations

from kafkacheck.explorer.result import INCOMPLETE
from kafkacheck.testing import check, make_model


def test_a_group_max_size_below_the_consumers_is_not_covered():
    settings = {"group.max.size": "1", "auto.offset.reset": "earliest"}
    run = check(settings, model="group", bounds={"crashes": 1, "records": 1})
    assert run.result == INCOMPLETE and run.uncovered_settings == {"group.max.size": 1}
    assert not check({"group.max.size": "2"}, model="group",
                     max_states=10).uncovered_settings


def test_a_consumer_group_max_size_below_the_consumers_is_not_covered():
    run = check({"group.consumer.max.size": "1"}, model="group-consumer")
    assert run.uncovered_settings == {"group.consumer.max.size": 1}


def test_under_latest_the_properties_say_which_records_are_not_owed():
    def statement(reset: str, name: str) -> str:
        model = make_model("group", {"auto.offset.reset": reset})
        return next(p.statement for p in model.properties() if p.name == name)

    for name in ("AllRecordsProcessed", "NoSkippedOffsets"):
        assert statement("latest", name).endswith(
            "except those before the group's first position on their partition "
            "(auto.offset.reset=latest starts at the log end when it first polls)")
        assert "auto.offset.reset" not in statement("earliest", name)


def test_review_names_what_latest_leaves_unread(tmp_path, capsys):
    import json

    from kafkacheck.cli import main

    path = tmp_path / "c.properties"
    path.write_text("bootstrap.servers=b:9092\ngroup.id=g\n")
    main(["review", str(path), "--json", "--no-fix"])
    data = json.loads(capsys.readouterr().out)
    owed = next(g for g in data["guarantees"] if g["id"] == "consumer-at-least-once")
    assert any(a.startswith("auto.offset.reset=latest: a group with no committed offset "
                            "starts at the log end") for a in owed["assumptions"])
