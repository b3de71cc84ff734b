"""A release number names a Kafka release that exists: '0.11.2' is no release (0.11
releases are 0.11.0.x) and once meant 0.11.0.0 without its fixes; a patch release past a
closed line's last one would get that line's backports."""

from __future__ import annotations

import pytest

from kafkacheck.model import versions


@pytest.mark.parametrize("value", ["0.11.2", "0.10.3", "2.0.7", "1.1.2", "3.6.3", "0.11.0.4"])
def test_a_release_that_never_existed_is_refused(value):
    with pytest.raises(ValueError, match="unknown Kafka version"):
        versions.parse(value)


@pytest.mark.parametrize(("value", "line"), [
    ("0.11.0.2", (0, 11)), ("0.11.0.3", (0, 11)), ("0.10.2.1", (0, 10)), ("0.10.1", (0, 10)),
    ("2.0.1", (2, 0)), ("3.6.2", (3, 6)), ("3.9.2", (3, 9)), ("4.4", (4, 4))])
def test_real_releases_parse_to_their_line(value, line):
    assert versions.parse(value) == line


def test_streams_on_a_release_before_transactions_is_refused_for_that_reason(capsys):
    from kafkacheck.cli import main

    assert main(["check", "streams", "--kafka-version", "0.10"]) == 2
    err = capsys.readouterr().err
    assert "the streams model starts at Kafka 0.11" in err and "acks" not in err
