"""A release number names a Kafka release that exists: '0.11.2' is no release (0.11
releases are 0.11.0.x) and once meant 0.11.0.0 without its fixes; a patch release past a
closed line's last one would get that line's backports, and one past the newest patch
release on Maven Central (read on 2026-12-04) is not known to kafkacheck."""

from __future__ import annotations

import pytest

from kafkacheck.model import versions


@pytest.mark.parametrize("value", ["0.11.2", "0.10.3", "2.0.7", "1.1.2", "3.6.3", "0.11.0.4",
                                   "3.7.3", "3.8.2", "3.9.3", "4.0.3", "4.3.3", "4.4.1"])
def test_a_release_that_never_existed_is_refused(value):
    with pytest.raises(ValueError, match="unknown Kafka version"):
        versions.parse(value)


@pytest.mark.parametrize(("value", "line"), [
    ("0.11.0.2", (0, 11)), ("0.11.0.3", (0, 11)), ("0.10.2.1", (0, 10)), ("0.10.1", (0, 10)),
    ("2.0.1", (2, 0)), ("3.6.2", (3, 6)), ("3.9.2", (3, 9)), ("4.4", (4, 4)),
    ("3.7.2", (3, 7)), ("3.8.1", (3, 8)), ("4.0.2", (4, 0)), ("4.1.2", (4, 1)),
    ("4.2.2", (4, 2)), ("4.3.2", (4, 3)), ("4.4.0", (4, 4))])
def test_real_releases_parse_to_their_line(value, line):
    assert versions.parse(value) == line


def test_streams_on_a_release_before_transactions_is_refused_for_that_reason(capsys):
    from kafkacheck.cli import main

    assert main(["check", "streams", "--kafka-version", "0.10"]) == 2
    err = capsys.readouterr().err
    assert "the streams model starts at Kafka 0.11" in err and "acks" not in err


def test_a_patch_past_the_newest_known_says_which_is_newest():
    with pytest.raises(ValueError, match=r"^unknown Kafka version '4\.4\.1': the newest 4\.4 "
                                         r"release kafkacheck knows is 4\.4\.0 \(releases as "
                                         r"of 2026-12-04\)$"):
        versions.parse("4.4.1")
