"""Results show settings as they take effect, after Kafka's own overrides, beside the given."""

from __future__ import annotations

import json

from kafkacheck.cli import main
from kafkacheck.config import overridden_settings
from kafkacheck.testing import make_model


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_idempotence_left_at_its_default_is_off_in_effect_with_acks_1(capsys):
    code, out, _ = run(capsys, "check", "producer", "--set", "acks=1", "--json")
    data = json.loads(out)
    assert data["config"]["enable.idempotence"] == "true"
    assert data["effective_config"]["enable.idempotence"] == "false"
    assert data["config_given"] == {"acks": "1"}


def test_the_text_header_names_the_value_in_effect(capsys):
    _, out, _ = run(capsys, "check", "producer", "--set", "acks=1", "--no-diagram")
    assert "in effect: enable.idempotence=false (default: true)" in out


def test_a_manual_commit_strategy_must_say_whether_auto_commit_stays_on(capsys):
    # Kafka keeps enable.auto.commit=true unless told (ConsumerConfig): a manual strategy
    # with it unset would commit both ways, so the run is refused rather than assumed.
    code, _, err = run(capsys, "check", "group", "--bound", "commit=sync-after-processing",
                       "--bound", "records=1", "--no-diagram")
    assert code == 2 and "enable.auto.commit is not set" in err


def test_no_override_means_no_in_effect_line(capsys):
    _, out, _ = run(capsys, "check", "acks1-loss", "--no-diagram")
    assert "in effect:" not in out
    assert overridden_settings(make_model("producer", {"acks": "all"})) == {}


def test_every_model_reports_effective_settings_for_each_of_its_settings():
    for name in ("replication", "producer", "group", "controller"):
        model = make_model(name)
        assert set(model.effective_settings()) == set(model.config.kafka)
