"""Transactional clients Kafka refuses to build or start are refused here too, in one line
(exit 2), where they ran to HOLDS or NOT COVERED (session 30's transactions review)."""

from __future__ import annotations

import pytest

from kafkacheck.cli import main
from kafkacheck.config import UsageError
from kafkacheck.testing import make_model

EOS = {"processing.guarantee": "exactly_once_v2"}


@pytest.mark.parametrize("settings, message", [
    # StreamsConfig.verifyEOSTransactionTimeoutCompatibility (3.0 on): 10 s by default.
    ({**EOS, "commit.interval.ms": "20000"},
     "IllegalArgumentException: Transaction timeout 10000 was set lower than streams "
     "commit interval 20000"),
    ({**EOS, "producer.transaction.timeout.ms": "1000000"},
     "InvalidTxnTimeoutException: producer.transaction.timeout.ms 1000000 exceeds the "
     "broker's transaction.max.timeout.ms 900000"),
])
def test_streams_exactly_once_timeouts_kafka_refuses(settings, message):
    with pytest.raises(UsageError, match=f"^{message}"):
        make_model("streams", settings)


def test_a_longer_transaction_timeout_lets_the_commit_interval_grow():
    make_model("streams", {**EOS, "commit.interval.ms": "20000",
                           "producer.transaction.timeout.ms": "30000"})
    make_model("streams", {**EOS, "commit.interval.ms": "5000"})


@pytest.mark.parametrize("key, value, message", [
    ("producer.override.acks", "1", "ConfigException: Must set acks to all"),
    ("producer.override.transaction.timeout.ms", "1000000", "InvalidTxnTimeoutException"),
])
def test_an_exactly_once_source_producer_kafka_refuses(key, value, message):
    with pytest.raises(UsageError, match=f"^{message}"):
        make_model("source", {"exactly.once.source.support": "enabled", key: value})


@pytest.mark.parametrize("extra", ["acks=1", "enable.idempotence=false", "retries=0",
                                   "max.in.flight.requests.per.connection=6"])
def test_review_refuses_a_transactional_producer_file_kafka_cannot_build(tmp_path, capsys,
                                                                         extra):
    path = tmp_path / "p.properties"
    path.write_text(f"bootstrap.servers=b:9092\ntransactional.id=t\n{extra}\n")
    assert main(["review", str(path), "--no-fix"]) == 2
    assert "refuses this producer configuration: ConfigException" in capsys.readouterr().err


def test_a_loop_between_kip_447_and_4_0_names_the_overload_it_assumes():
    model = make_model("eos-loop", kafka_version="3.9")
    assert any("sendOffsetsToTransaction(offsets, consumer.groupMetadata())" in n
               for n in model.notes())
    assert not any("groupMetadata" in n for n in make_model("eos-loop").notes())
