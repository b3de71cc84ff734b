"""A check's configuration as data: Kafka settings (by Kafka's names) plus model bounds.

Settings come from defaults, then ``.properties`` files, then ``--set`` pairs (later
wins, as with Kafka's ``--command-config`` followed by overrides).  Every problem is a
``UsageError`` carrying one line for the user.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kafkacheck.model import settings as kafka_settings
from kafkacheck.model import versions

if TYPE_CHECKING:
    from kafkacheck.model.interface import Bound, Model


class UsageError(Exception):
    """Bad input: printed as one line on stderr, exit code 2."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A ' (did you mean X?)' suffix when a close candidate exists, else ''."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


@dataclass(frozen=True)
class Config:
    """Effective configuration of one check: Kafka settings, bounds, and what was explicit."""

    kafka: Mapping[str, Any]
    bounds: Mapping[str, Any]
    explicit: frozenset[str] = frozenset()
    not_modelled: Mapping[str, Any] = field(default_factory=dict)
    # The Kafka release checked (--kafka-version): picks rules and defaults.
    kafka_version: str = versions.DEFAULT
    # Semantics-changing settings the model does not cover, with the values asked for: a
    # run with any of them is "not covered" (exit 3), never HOLDS (model/settings.py).
    uncovered: Mapping[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> versions.Version:
        """The Kafka release as a comparable (major, minor) tuple."""
        return versions.parse(self.kafka_version)

    def uncovered_text(self) -> str:
        """'transactional.id=tx, isolation.level=read_committed' (empty when covered)."""
        return ", ".join(f"{k}={kafka_settings.render(k, v)}" for k, v in self.uncovered.items())

    def kafka_text(self) -> dict[str, str]:
        """The Kafka settings rendered as .properties values."""
        return {k: kafka_settings.render(k, v) for k, v in self.kafka.items()}

    def digest(self) -> str:
        """A short stable hash of the configuration (for report links and caching)."""
        data: dict[str, Any] = {"kafka": self.kafka_text(), "bounds": dict(self.bounds),
                                "kafka_version": self.kafka_version}
        if self.uncovered:  # the run differs (not covered) though its model settings do not
            data["not_covered"] = {k: kafka_settings.render(k, v)
                                   for k, v in self.uncovered.items()}
        blob = json.dumps(data, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    def to_json(self) -> dict[str, Any]:
        """The JSON form used in results."""
        return {
            "kafka_version": self.kafka_version,
            "kafka": self.kafka_text(),
            "bounds": dict(self.bounds),
            "not_modelled": {
                k: kafka_settings.render(k, v) for k, v in self.not_modelled.items()
            },
            "not_covered": {
                k: kafka_settings.render(k, v) for k, v in self.uncovered.items()
            },
        }


def _unescape(text: str, where: str) -> str:
    # java.util.Properties escapes: \t \n \r \f, \uXXXX, and \c for any other c.
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "\\" or i + 1 == len(text):
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "u":
            hex_digits = text[i + 2 : i + 6]
            if len(hex_digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in hex_digits):
                raise UsageError(f"{where}: malformed \\uxxxx escape")
            out.append(chr(int(hex_digits, 16)))
            i += 6
            continue
        out.append({"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(nxt, nxt))
        i += 2
    return "".join(out)


def _split_key_value(line: str) -> tuple[str, str] | None:
    # The key ends at the first unescaped '=', ':' or whitespace (java.util.Properties.load).
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\":
            i += 2
            continue
        if ch in "=:" or ch.isspace():
            key = line[:i]
            rest = line[i:].lstrip()
            if rest[:1] in ("=", ":") and ch not in "=:":
                rest = rest[1:].lstrip()
            elif ch in "=:":
                rest = line[i + 1 :].lstrip()
            return key, rest
        i += 1
    return None


def parse_properties(text: str, source: str = "<properties>") -> dict[str, str]:
    """Parse Java .properties text; a line without a separator is reported as malformed."""
    result: dict[str, str] = {}
    logical: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.lstrip() if not pending else raw.lstrip()
        if not pending and (not line or line[0] in "#!"):
            continue
        if not pending:
            start = number
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2 == 1:
            pending += line[:-1]
            continue
        logical.append((start, pending + line))
        pending = ""
    if pending:
        logical.append((start, pending))
    for number, line in logical:
        where = f"{source}:{number}"
        split = _split_key_value(line.rstrip())
        if split is None:
            raise UsageError(f"{where}: malformed line {line.strip()!r} (expected KEY=VALUE)")
        key, value = (_unescape(part, where) for part in split)
        if not key:
            raise UsageError(f"{where}: malformed line {line.strip()!r} (empty key)")
        result[key] = value
    return result


def load_properties_file(path: str | Path) -> dict[str, str]:
    """Read a .properties file; missing or unreadable files are usage errors."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"config file not found: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read config file {p}: {exc}") from None
    return parse_properties(text, str(p))


def parse_pairs(pairs: Sequence[str], what: str) -> list[tuple[str, str]]:
    """Split ``KEY=VALUE`` command-line pairs."""
    out = []
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(f"{what} {pair!r}: expected KEY=VALUE")
        key, value = pair.split("=", 1)
        if not key.strip():
            raise UsageError(f"{what} {pair!r}: empty key")
        out.append((key.strip(), value.strip()))
    return out


def _parse_bound(bound: Bound, text: str) -> Any:
    if bound.choices:
        if text not in bound.choices:
            raise UsageError(
                f"invalid value {text!r} for bound {bound.name}: must be one of "
                f"{', '.join(bound.choices)}"
            )
        return text
    try:
        value = int(text)
    except ValueError:
        raise UsageError(
            f"invalid value {text!r} for bound {bound.name}: expected an integer"
        ) from None
    if value < bound.minimum:
        raise UsageError(f"invalid value {value} for bound {bound.name}: minimum {bound.minimum}")
    if bound.maximum is not None and value > bound.maximum:
        raise UsageError(f"invalid value {value} for bound {bound.name}: maximum {bound.maximum}")
    return value


def build_config(
    model_cls: type[Model],
    settings: Sequence[tuple[str, str]] = (),
    files: Sequence[str | Path] = (),
    bounds: Sequence[tuple[str, str]] = (),
    base: Mapping[str, str] | None = None,
    kafka_version: str | None = None,
) -> Config:
    """Resolve a model's effective configuration and validate it (UsageError on problems).

    ``kafka_version`` (default the newest release modelled) picks each setting's default.
    """
    version_text = versions.DEFAULT if kafka_version is None else str(kafka_version).strip()
    try:
        version = versions.parse(version_text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    raw: dict[str, str] = dict(base or {})
    for path in files:
        raw.update(load_properties_file(path))
    for key, value in settings:
        raw[key] = value
    kafka: dict[str, Any] = {}
    not_modelled: dict[str, Any] = {}
    def starting_value(name: str) -> Any:
        """The version's default, or a protocol variant's own value (group.protocol)."""
        value = kafka_settings.default_for(name, version)
        covered = model_cls.covered_values.get(name)
        return covered[0] if covered and value not in covered else value

    for name in model_cls.settings:
        kafka[name] = starting_value(name)
    for key, text in raw.items():
        setting = kafka_settings.lookup(key)
        if setting is None:
            hint = did_you_mean(key, kafka_settings.SETTINGS)
            raise UsageError(f"unknown Kafka setting {key!r}{hint}")
        try:
            value = setting.value_of(text)
        except kafka_settings.SettingError as exc:
            raise UsageError(str(exc)) from None
        if key in model_cls.settings:
            kafka[key] = value
        else:
            not_modelled[key] = value
    bound_values: dict[str, Any] = {b.name: b.default for b in model_cls.bounds}
    by_name = {b.name: b for b in model_cls.bounds}
    for key, text in bounds:
        if key not in by_name:
            hint = did_you_mean(key, by_name)
            known = ", ".join(by_name) or "none"
            raise UsageError(
                f"unknown bound {key!r} for model {model_cls.name}{hint} (bounds: {known})"
            )
        bound_values[key] = _parse_bound(by_name[key], text)
    given = {**{k: v for k, v in kafka.items() if k in raw}, **not_modelled}
    uncovered = kafka_settings.uncovered(tuple(model_cls.settings), given,
                                         dict(model_cls.covered_values), version)
    for key in uncovered:
        if key in kafka:
            # The model runs under the version's default, the behaviour it covers; the
            # result is labelled "not covered" for the value asked for (a protocol variant
            # whose own value is not the default refuses it in validate_config).
            kafka[key] = kafka_settings.default_for(key, version)
    config = Config(kafka, bound_values, frozenset(raw), not_modelled,
                    versions.text(version), uncovered)
    validate = getattr(model_cls, "validate_config", None)
    if validate is not None:
        problem = validate(config)
        if problem:
            raise UsageError(problem)
    return config
