"""A check's configuration as data: Kafka settings (by Kafka's names) plus model bounds.

Settings come from defaults, then ``.properties`` files, then ``--set`` pairs (later
wins, as with Kafka's ``--command-config`` followed by overrides).  Every problem is a
``UsageError`` carrying one line for the user.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from kafkacheck.model import settings as kafka_settings
from kafkacheck.model import versions

if TYPE_CHECKING:
    from kafkacheck.model.interface import Bound, Model


class UsageError(Exception):
    """Bad input: printed as one line on stderr, exit code 2."""


def seconds_limit(value: object, flag: str) -> float:
    """A time limit: a finite positive number of seconds (no nan, inf, 0 or negative)."""
    problem = f"{flag}: {value!r} must be positive (a finite number of seconds)"
    if isinstance(value, bool):
        raise UsageError(problem)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise UsageError(problem) from None
    if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise UsageError(problem)
    return float(value)


def count_limit(value: object, flag: str, minimum: int = 1, maximum: int | None = None) -> int:
    """A count limit (states, depth, walks): an integer within [minimum, maximum]."""
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise UsageError(f"{flag}: invalid int value {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"{flag}: invalid int value {value!r}")
    if value < minimum:
        raise UsageError(f"{flag}: {value} is below the minimum {minimum}")
    if maximum is not None and value > maximum:
        raise UsageError(f"{flag}: {value} is above the maximum {maximum}")
    return value


class Target(NamedTuple):
    """What a model or preset name stands for."""

    cls: type[Model]
    settings: dict[str, str]  # a preset's Kafka settings
    bounds: list[tuple[str, str]]  # a preset's bounds
    properties: list[str]  # a preset's properties
    kafka_version: str | None  # a preset's Kafka release (None: the default)


def resolve_target(name: object) -> Target:
    """A model or preset name: its class, and the preset's settings, bounds, properties
    and Kafka version (UsageError with a did-you-mean for an unknown name)."""
    from kafkacheck.model import presets, registry

    if not isinstance(name, str):
        raise UsageError(f"model name must be a string, got {type(name).__name__}")
    base: dict[str, str] = {}
    bound_pairs: list[tuple[str, str]] = []
    props: list[str] = []
    version = None
    if name not in registry.MODELS:
        preset = presets.PRESETS.get(name)
        if preset is None:
            hint = did_you_mean(name, [*registry.MODELS, *presets.PRESETS])
            raise UsageError(f"unknown model or preset {name!r}{hint} (see `kafkacheck list`)")
        name = preset.model
        base = dict(preset.settings)
        bound_pairs = [(k, str(v)) for k, v in preset.bounds.items()]
        props = list(preset.properties)
        version = preset.kafka_version
    try:
        cls = registry.model_class(name)
    except ImportError as exc:
        raise UsageError(f"model {name!r} is not available in this installation: {exc}") from None
    return Target(cls, base, bound_pairs, props, version)


def protocol_variant(cls: type[Model], base: Mapping[str, str], files: Iterable[str | Path],
                     settings: Iterable[tuple[str, str]]) -> type[Model]:
    """The model a protocol setting selects (group.protocol=consumer: the KIP-848 model)."""
    variants = getattr(cls, "protocol_variants", None)
    if not variants:
        return cls
    from kafkacheck.model import registry

    key, table = variants
    raw = dict(base)
    for path in files:
        raw.update(load_properties_file(path))
    raw.update(settings)
    name = table.get(str(raw.get(key, "")).strip().lower())
    return registry.model_class(name) if name else cls


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A ' (did you mean X?)' suffix when a close candidate exists, else ''."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def choice_hint(message: str) -> str:
    """argparse's "invalid choice: 'chek' (choose from 'list', 'check', ...)" with the close
    choice named ("(did you mean check?)"), as unknown models and settings are."""
    found = re.search(r"invalid choice: '(.*?)' \(choose from (.*)\)$", message)
    if found is None:
        return message
    listed = found.group(2)  # 'a', 'b' (Python 3.11) or a, b (later releases)
    choices = re.findall(r"'([^']*)'", listed) or [c.strip() for c in listed.split(",")]
    hint = did_you_mean(found.group(1), choices)
    cut = found.end(1) + 1  # after the quoted choice
    return f"{message[:cut]}{hint}{message[cut:]}" if hint else message


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

    def setting(self, name: str, default: Any = None) -> Any:
        """A Kafka setting as given or defaulted, whether the model reads it (``kafka``) or
        only the catalogue knows it (``not_modelled``); ``default`` when neither has it."""
        if name in self.kafka:
            return self.kafka[name]
        return self.not_modelled.get(name, default)

    def uncovered_text(self) -> str:
        """'transactional.id=tx, isolation.level=read_committed' (empty when covered)."""
        return ", ".join(f"{k}={kafka_settings.render_uncovered(k, v)}"
                         for k, v in self.uncovered.items())

    def kafka_text(self) -> dict[str, str]:
        """The Kafka settings rendered as .properties values."""
        return {k: kafka_settings.render(k, v) for k, v in self.kafka.items()}

    def digest(self) -> str:
        """A short stable hash of the configuration (for report links and caching)."""
        data: dict[str, Any] = {"kafka": self.kafka_text(), "bounds": dict(self.bounds),
                                "kafka_version": self.kafka_version}
        if self.uncovered:  # the run differs (not covered) though its model settings do not
            data["not_covered"] = {k: kafka_settings.render_uncovered(k, v)
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
                k: kafka_settings.render_uncovered(k, v) for k, v in self.uncovered.items()
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


_BLANK = " \t\f"  # java.util.Properties whitespace: space, tab, form feed (not Unicode)


def _split_key_value(line: str) -> tuple[str, str] | None:
    # The key ends at the first unescaped '=', ':' or whitespace (java.util.Properties.load).
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\":
            i += 2
            continue
        if ch in "=:" or ch in _BLANK:
            key = line[:i]
            rest = line[i:].lstrip(_BLANK)
            if rest[:1] in ("=", ":") and ch not in "=:":
                rest = rest[1:].lstrip(_BLANK)
            elif ch in "=:":
                rest = line[i + 1 :].lstrip(_BLANK)
            return key, rest
        i += 1
    return None


def parse_properties(text: str, source: str = "<properties>") -> dict[str, str]:
    """Parse Java .properties text; a line without a separator is reported as malformed."""
    result: dict[str, str] = {}
    logical: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, raw in enumerate(re.split(r"\r\n|\r|\n", text), 1):
        line = raw.lstrip(_BLANK)
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
        split = _split_key_value(line)
        if split is None:
            raise UsageError(f"{where}: malformed line {line.strip()!r} (expected KEY=VALUE)")
        key, value = (_unescape(part, where) for part in split)
        if not key:
            raise UsageError(f"{where}: malformed line {line.strip()!r} (empty key)")
        result[key] = value
    return result


MAX_FILE_BYTES = 1 << 20
"""The largest configuration or trace file read (1 MiB): real ones are a few kB."""


def read_text_file(path: str | Path, what: str = "config file",
                   limit: int = MAX_FILE_BYTES) -> str:
    """A small text file's contents; UsageError for a missing, special, huge or binary file.

    Only regular files are opened (a device such as /dev/urandom or a FIFO would never
    end), at most ``limit`` bytes are read, and text is UTF-8, else ISO-8859-1 (what
    java.util.Properties.load(InputStream) reads); NUL bytes mean binary.
    """
    p = Path(path)
    try:
        if not p.exists():
            raise UsageError(f"{what} not found: {p}")
        if p.is_dir():
            raise UsageError(f"{what} {p} is a directory")
        if not p.is_file():
            raise UsageError(f"{what} {p} is not a regular file")
        with p.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {what} {p}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise UsageError(f"{what} {p} is larger than {limit // 1024} KiB")
    if b"\0" in data:
        raise UsageError(f"{what} {p} is binary, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_json_file(path: str, what: str, limit: int = MAX_FILE_BYTES) -> Any:
    """A JSON document from ``path`` (``-``: standard input) of at most ``limit`` bytes;
    UsageError when it cannot be read (a device, a FIFO), is too large or is not JSON."""
    if path == "-":
        if sys.stdin is None:
            raise UsageError(f"no standard input to read the {what} from")
        text = sys.stdin.read(limit + 1)
        if len(text) > limit:
            raise UsageError(f"{what} on stdin is larger than {limit // 1024} KiB")
    else:
        text = read_text_file(path, f"{what} file", limit)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise UsageError(f"cannot read {what} {path}: not JSON ({reason})") from None


def load_properties_file(path: str | Path) -> dict[str, str]:
    """Read a .properties file; missing, unreadable, huge or binary files are usage errors."""
    return parse_properties(read_text_file(path), str(path))


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


def overridden_settings(model: Model) -> dict[str, tuple[str, str]]:
    """Settings Kafka's own code changes: key -> (as given or defaulted, as it takes effect)."""
    given = model.config.kafka_text()
    out = {}
    for key, value in model.effective_settings().items():
        text = kafka_settings.render(key, value)
        if key in given and given[key] != text:
            out[key] = (given[key], text)
    return out


# A bound without its own maximum counts steps of one kind (faults, records, restarts):
# past this no exhaustive or random search gets anywhere, and states hold 64-bit ints.
BOUND_MAXIMUM = 10_000


def _parse_bound(bound: Bound, text: str) -> Any:
    if bound.choices:
        if text not in bound.choices:
            raise UsageError(
                f"invalid value {text!r} for bound {bound.name}: must be one of "
                f"{', '.join(bound.choices)}{did_you_mean(text, bound.choices)}"
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
    maximum = BOUND_MAXIMUM if bound.maximum is None else bound.maximum
    if value > maximum:
        raise UsageError(f"invalid value {value} for bound {bound.name}: maximum {maximum}")
    return value


# Unknown keys named in one error: past these the rest of a file is not examined (each
# name's did-you-mean is a search of the whole catalogue).
MAX_UNKNOWN_NAMED = 20


def unexamined_note(unexamined: int) -> str:
    """How many keys were left unexamined after MAX_UNKNOWN_NAMED unknown ones."""
    return f" (and {unexamined} more keys not examined)" if unexamined else ""


def unknown_keys_message(items: Sequence[str], unexamined: int = 0) -> str:
    """One line naming every unknown key (each with its did-you-mean)."""
    if len(items) == 1 and not unexamined:
        return f"unknown Kafka setting {items[0]}"
    return f"{len(items)} unknown Kafka settings{unexamined_note(unexamined)}: " \
        f"{', '.join(items)}"


def _known_elsewhere(key: str) -> tuple[bool, str]:
    """Is ``key`` a Kafka key of any role (or a known prefix or third party)? Else a hint."""
    from kafkacheck import catalogue

    cat = catalogue.load()
    for role in catalogue.ROLES:
        info = cat.classify(role, key)
        if info.kind not in ("unknown", "misplaced", "connector-specific"):
            return True, ""
    if cat.roles_of(key):
        return True, ""
    names = [*kafka_settings.SETTINGS, *cat.all_names()]
    return False, catalogue.did_you_mean(key, names)


def _trimmed(text: str) -> str:
    """A value as Kafka's ConfigDef.parseType trims it, before a setting's own parse."""
    from kafkacheck.catalogue import java_trim

    return java_trim(text)


def _catalogue_value(key: str, text: str) -> Any:
    """A key the models do not read: checked by its Kafka type; passwords are hidden."""
    from kafkacheck import catalogue

    cat = catalogue.load()
    definition = cat.definition(key)
    # A prefixed client key (producer.override.acks) is checked as the key it prefixes.
    prefixed = None if definition is not None else next(
        (info.definition for role in catalogue.ROLES
         if (info := cat.classify(role, key)).kind == "kafka-prefix" and info.definition),
        None)
    if definition is None and prefixed is None:
        return text
    try:
        value = (cat.parse_anywhere(key, text) if prefixed is None
                 else catalogue.parse_value(prefixed, text))
    except ValueError as exc:
        raise kafka_settings.SettingError(f"invalid value {text!r} for {key}: {exc}") from None
    definition = definition or prefixed
    if definition.type == "PASSWORD":
        return "[hidden]"  # Password.toString(), as Kafka logs it
    if isinstance(value, list):
        return ",".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _parsed(setting: kafka_settings.Setting, text: str, version: versions.Version) -> Any:
    """``text`` as ``setting``'s value in ``version``, or None where it is not one."""
    try:
        return setting.value_in(text, version)
    except (kafka_settings.AbsentInRelease, kafka_settings.SettingError):
        return None


def _client_settings(model_cls: type[Model], raw: Mapping[str, str],
                     kafka: Mapping[str, Any],
                     version: versions.Version) -> tuple[set[str], dict[str, Any]]:
    """The client settings given for the application a model stands for, through its
    client prefixes (``producer.override.acks=1``; ``""``: bare keys reach its clients):
    those its clients run as the model's do (the application's own value, or one it sets
    whatever the key says), and the others, with their values (not covered)."""
    runs = model_cls.client_values(kafka)
    same: set[str] = set()
    differ: dict[str, Any] = {}
    for key, text in raw.items():
        bare = key in kafka_settings.SETTINGS
        prefix = "" if bare else max(
            (p for p in model_cls.client_prefixes if p and key.startswith(p)), key=len,
            default=None)
        if prefix not in model_cls.client_prefixes or key in model_cls.settings:
            continue
        if model_cls.client_key_ignored(key, version):
            same.add(key)  # the application of this release never reads it
            continue
        if bare and kafka_settings.application_value(key, model_cls.name, text, version):
            continue  # the application's own key (Streams' group.protocol), not a client's
        setting = kafka_settings.setting_of(key)
        if setting is None or not setting.semantics or (bare and setting.scope == "topic"):
            # A bare topic key is the topic's, not a client's: Streams hands only topic.
            # keys to the topics it creates (StreamsConfig.TOPIC_PREFIX).
            continue
        forced = setting.name in model_cls.client_forced(kafka, prefix)
        if forced or (not bare and model_cls.reads_client_key(key)):
            value = None if forced else _parsed(setting, text, version)
            if value is not None and model_cls.client_uncovered(setting.name, value, version):
                differ[key] = value  # what the model's client cannot run (a custom class)
            else:
                same.add(key)
            continue
        try:
            value = setting.value_in(text, version)
        except kafka_settings.AbsentInRelease as exc:
            raise UsageError(f"{key}: {exc}") from None
        except kafka_settings.SettingError:
            # Kafka's own type check passed (_catalogue_value): a value outside what the
            # model represents (topic.creation.default.replication.factor=-1).
            differ[key] = text
            continue
        if value == runs.get(setting.name, kafka_settings.default_for(setting.name, version)):
            same.add(key)
        else:
            differ[key] = value
    return same, differ


def _kafka_default(key: str, value: Any, version: versions.Version) -> bool:
    """Whether ``value`` is Kafka's default for ``key`` (the registry's, else the
    catalogue's text)."""
    from kafkacheck import catalogue

    if kafka_settings.lookup(key) is not None:
        return value == kafka_settings.default_for(key, version)
    definition = catalogue.load().definition(key)
    default = getattr(definition, "default", None)
    return default is not None and str(value).strip().lower() == str(default).strip().lower()


def build_config(
    model_cls: type[Model],
    settings: Sequence[tuple[str, str]] = (),
    files: Sequence[str | Path] = (),
    bounds: Sequence[tuple[str, str]] = (),
    base: Mapping[str, str] | None = None,
    kafka_version: str | None = None,
    base_bounds: Sequence[tuple[str, str]] = (),
) -> Config:
    """Resolve a model's effective configuration and validate it (UsageError on problems).

    ``kafka_version`` (default the newest release modelled) picks each setting's default.
    ``base_bounds`` (a preset's, a saved trace's) start the bounds and ``bounds`` (the
    user's) override them; a bound the user gives twice with two values is refused, as a
    repeated setting is: a CI script appending flags must not get an answer at the last one.
    """
    version_text = versions.DEFAULT if kafka_version is None else str(kafka_version).strip()
    try:
        version = versions.parse(version_text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    raw: dict[str, str] = dict(base or {})
    from_file: dict[str, tuple[str, str]] = {}  # key -> (value, file) over the files
    # A broker default and a topic override of one key: Kafka runs the topic's whatever
    # the order of the files, and a file does not say which it is: --set must decide.
    disputed: dict[str, str] = {}
    for path in files:
        for key, value in load_properties_file(path).items():
            earlier = from_file.get(key)
            if earlier is not None and earlier[0] != value and key not in disputed:
                disputed[key] = (f"{key} is {earlier[0]!r} in {earlier[1]} and {value!r} in "
                                 f"{path}: give the value the topic or client runs with "
                                 f"(--set {key}=VALUE)")
            from_file[key] = (value, str(path))
            raw[key] = value
    undecided = [why for key, why in disputed.items() if key not in dict(settings)]
    if undecided:
        raise UsageError(undecided[0])
    given_here: dict[str, str] = {}
    for key, value in settings:
        if given_here.get(key, value) != value:
            raise UsageError(f"{key} is set twice (to {given_here[key]!r} and to {value!r}): "
                             "give it once")
        given_here[key] = raw[key] = value
    kafka: dict[str, Any] = {}
    not_modelled: dict[str, Any] = {}
    def starting_value(name: str) -> Any:
        """The version's default, or a protocol variant's own value (group.protocol)."""
        value = kafka_settings.default_for(name, version)
        covered = model_cls.covered_values.get(name)
        return covered[0] if covered and value not in covered else value

    for name in model_cls.settings:
        kafka[name] = starting_value(name)
    unknown: list[str] = []
    unexamined = 0
    for i, (key, text) in enumerate(raw.items()):
        setting = kafka_settings.lookup(key)
        if setting is None:
            known, hint = _known_elsewhere(key)
            if not known:
                unknown.append(f"{key!r}{hint}")
                if len(unknown) == MAX_UNKNOWN_NAMED and i + 1 < len(raw):
                    unexamined = len(raw) - i - 1  # the run is refused anyway: say so now
                    break
                continue
            try:
                not_modelled[key] = _catalogue_value(key, text)
            except kafka_settings.SettingError as exc:
                raise UsageError(str(exc)) from None
            refused = kafka_settings.refused_in(key, not_modelled[key], version)
            if refused:  # cleanup.policy=delete,delete (4.2)
                raise UsageError(f"invalid value {text!r} for {key}: {refused}")
            continue
        try:
            # Streams' own group.protocol (4.1, KIP-1071) is not the consumer's.
            own = kafka_settings.application_value(key, model_cls.name, text, version)
            value = own if own is not None else setting.value_in(text, version)
        except kafka_settings.SettingError as exc:
            raise UsageError(str(exc)) from None
        refused = kafka_settings.refused_in(key, _trimmed(text), version)  # 4.2: bootstrap.servers=
        if refused:
            raise UsageError(f"invalid value {text!r} for {key}: {refused}")
        if key == "process.roles":
            from kafkacheck.model.cluster.controller import empty_roles_problem, roles_mode

            roles = str(value).strip()
            if not roles and version >= (4, 0):
                # KRaftConfigs: required from 4.0 (KAFKA-18331): an empty list gets no
                # storage format (StorageTool) nor a broker or controller (KafkaRaftServer);
                # 4.2's ValidList.in(false, ...) refuses it outright.
                raise UsageError(empty_roles_problem(versions.release(version_text), version))
            if roles and roles_mode(roles) is None:
                # Every model's nodes hold partition replicas: a controller-only node
                # (KafkaRaftServer runs no BrokerServer for it) is none of them.
                raise UsageError(f"process.roles={roles} names controller-only nodes, which "
                                 "hold no partition replicas; the nodes this model checks "
                                 "are brokers: process.roles=broker or broker,controller")
        if key in model_cls.settings:
            kafka[key] = value
        else:
            not_modelled[key] = value
    if unknown:
        raise UsageError(unknown_keys_message(unknown, unexamined))
    bound_values: dict[str, Any] = {b.name: b.default for b in model_cls.bounds}
    by_name = {b.name: b for b in model_cls.bounds}
    bound_given: dict[str, tuple[str, Any]] = {}  # the user's: name -> (text, value)
    for from_user, (key, text) in [*((False, pair) for pair in base_bounds),
                                   *((True, pair) for pair in bounds)]:
        if key not in by_name:
            hint = did_you_mean(key, by_name)
            known = ", ".join(by_name) or "none"
            raise UsageError(
                f"unknown bound {key!r} for model {model_cls.name}{hint} (bounds: {known})"
            )
        value = _parse_bound(by_name[key], text)
        if from_user:
            earlier = bound_given.get(key)
            if earlier is not None and earlier[1] != value:
                raise UsageError(f"bound {key} is given twice (as {earlier[0]!r} and as "
                                 f"{text!r}): give it once")
            bound_given[key] = (text, value)
        bound_values[key] = value
    # The values given, as parsed (before a value not covered is reset to its default).
    given_values = {k: (kafka[k] if k in kafka else not_modelled.get(k)) for k in raw}
    if bound_values.get("retention"):
        deletes, deciding = kafka_settings.retention_deletes(given_values)
        if not deletes:
            raise UsageError(f"--bound retention={bound_values['retention']} explores records "
                             f"deleted by retention, but {deciding} deletes none: leave the "
                             "bound at 0")
    # Catalogue keys without a modelled definition change no modelled semantics.
    given = {**{k: v for k, v in kafka.items() if k in raw},
             **{k: v for k, v in not_modelled.items() if kafka_settings.lookup(k) is not None}}
    uncovered = kafka_settings.uncovered(tuple(model_cls.settings), given,
                                         dict(model_cls.covered_values), version,
                                         model_cls.also_changed_by)
    # uncovered_under also sees the client keys (Streams' producer.acks).
    uncovered.update(model_cls.uncovered_under({**not_modelled, **given}, bound_values,
                                               version))
    same, differ = _client_settings(model_cls, raw, kafka, version)
    uncovered = {**{k: v for k, v in uncovered.items()
                    if k not in same and k not in model_cls.abstracted}, **differ}
    for key in uncovered:
        if key in kafka:
            # The model runs under the version's default, the behaviour it covers; the
            # result is labelled "not covered" for the value asked for (a protocol variant
            # whose own value is not the default refuses it in validate_config).
            kafka[key] = kafka_settings.default_for(key, version)
    # A value that brings a fault the run leaves out (retention.ms=60000 with retention=0,
    # or in a model without that fault) was not checked: not covered, and the model still
    # runs with it (it reads none of these keys as a semantics of its own).
    # Kafka's own default, given explicitly (log.retention.hours=168 in its server.properties),
    # is what a run without it checks: a WARNING then, as there. Retention is judged as the
    # topic resolves it (a topic's retention.ms=-1 over the broker's log.retention.hours).
    deciding = kafka_settings.retention_deciding(given_values, default_too=False)
    for key, value in given_values.items():
        if kafka_settings.topic_key(key) in kafka_settings.RETENTION_KEYS:
            if key not in deciding:
                continue
        elif _kafka_default(key, value, version) \
                or not kafka_settings.brings_fault_in(key, value, given_values):
            continue
        if key not in uncovered and kafka_settings.unexplored_fault(
                key, value, bound_values, version):
            uncovered[key] = value
    # A topic file's partition count (kafka-topics.sh --partitions), or the brokers' default
    # for topics created without one, is the model's bound: any other count was not checked
    # (a partitioner spreads keys over the count).
    count = next((k for k in ("partitions", "num.partitions") if k in raw), None)
    if count and "partitions" in bound_values \
            and str(given_values[count]).strip() != str(bound_values["partitions"]):
        uncovered[count] = given_values[count]
    config = Config(kafka, bound_values, frozenset(raw), not_modelled,
                    versions.release(version_text), uncovered)
    validate = getattr(model_cls, "validate_config", None)
    if validate is not None:
        problem = validate(config)
        if problem:
            raise UsageError(problem)
    return config
