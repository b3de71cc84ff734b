"""Producer settings validated as ProducerConfig and KafkaProducer validate them."""

from __future__ import annotations

import pytest

from kafkacheck.cli import main
from kafkacheck.config import UsageError
from kafkacheck.testing import make_model


@pytest.mark.parametrize("settings,message", [
    ({"enable.idempotence": "true", "acks": "1"},
     "Must set acks to all in order to use the idempotent producer. Otherwise we cannot "
     "guarantee idempotence."),
    ({"enable.idempotence": "true", "retries": "0"},
     "Must set retries to non-zero when using the idempotent producer."),
    ({"max.in.flight.requests.per.connection": "6"},
     "To use the idempotent producer, max.in.flight.requests.per.connection must be set to at "
     "most 5. Current value is 6."),
    # The in-flight check runs even when acks=1 is about to disable a defaulted idempotence.
    ({"acks": "1", "max.in.flight.requests.per.connection": "6"},
     "To use the idempotent producer, max.in.flight.requests.per.connection must be set to at "
     "most 5. Current value is 6."),
    ({"enable.idempotence": "false", "transactional.id": "tx"},
     "Cannot set a transactional.id without also enabling idempotence."),
    ({"acks": "1", "transactional.id": "tx"},
     "Cannot set a transactional.id without also enabling idempotence."),
    ({"delivery.timeout.ms": "1000"},
     "delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms"),
])
def test_conflicting_settings_are_kafkas_config_exception(settings, message):
    with pytest.raises(UsageError) as caught:
        make_model("producer", settings)
    assert str(caught.value) == f"ConfigException: {message}"


@pytest.mark.parametrize("settings", [
    {"acks": "1", "transactional.id": "tx"},
    {"enable.idempotence": "true", "acks": "1"},
    {"max.in.flight.requests.per.connection": "6"},
])
def test_the_replication_model_refuses_the_producers_kafka_cannot_build(settings):
    # It said NOT COVERED (transactional.id) or ran them (session 29's engines review).
    with pytest.raises(UsageError, match="^ConfigException: "):
        make_model("replication", settings)


def test_the_cli_exits_2_with_the_one_line_message(capsys):
    code = main(["check", "producer", "--set", "enable.idempotence=true", "--set", "acks=1"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["kafkacheck: error: ConfigException: Must set acks to all in order to use "
                   "the idempotent producer. Otherwise we cannot guarantee idempotence."]


@pytest.mark.parametrize("settings,reason", [
    ({"acks": "1"}, "acks is set to 1, not set to 'all'"),
    ({"acks": "0"}, "acks is set to 0, not set to 'all'"),
    ({"retries": "0"}, "retries is set to 0"),
])
def test_a_defaulted_idempotence_is_silently_disabled_and_the_result_says_so(settings, reason):
    model = make_model("producer", settings)
    assert not model.idempotent
    statement = next(p for p in model.properties() if p.name == "NoDuplicates").statement
    assert "idempotence off" in statement and reason in statement


def test_idempotence_is_on_by_default_kip_679():
    model = make_model("producer")
    assert model.idempotent and model.acks == -1


def test_settings_without_semantics_are_accepted_and_reported_as_not_modelled():
    model = make_model("producer", {"bootstrap.servers": "b:9092", "client.id": "c",
                                    "key.serializer": "x", "transactional.id": "tx"})
    assert set(model.config.not_modelled) == {"bootstrap.servers", "client.id",
                                              "key.serializer", "transactional.id"}
