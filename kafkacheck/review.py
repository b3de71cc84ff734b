"""`kafkacheck review`: check a team's real Kafka configuration files in one command.

Loads whole ``.properties`` files, works out which role each plays (producer, consumer,
topic, broker, Connect, Streams) from its keys, knows every key Kafka defines (the
generated catalogue), picks the guarantees that matter for the settings present, checks
each with the models under the faults that threaten it, and reports per guarantee:
holds (with its bounds and fault model), violated (the shortest counterexample and the
smallest setting change that fixes it, found by re-running with candidate changes), or
not covered (named, with the reason).
"""

from __future__ import annotations

import itertools
import shlex
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kafkacheck import catalogue
from kafkacheck.config import (
    MAX_UNKNOWN_NAMED,
    UsageError,
    build_config,
    load_properties_file,
    unexamined_note,
)
from kafkacheck.model import registry, versions
from kafkacheck.model import settings as kafka_settings
from kafkacheck.model.clients.consumer_config import BROKER_KEYS, CLIENT_KEYS, GROUP_BROKER_KEYS

DEFAULT_MAX_SECONDS = 90.0
"""review's time budget when --max-seconds is not given (checks, then fix searches)."""

HOLDS, VIOLATED, NOT_COVERED = "holds", "violated", "not covered"


# -- files ------------------------------------------------------------------------------


@dataclass
class ConfigFile:
    """One file: its keys, the role it plays and why, and what each key is."""

    path: str
    role: str
    why: str
    values: dict[str, str]
    keys: list[catalogue.KeyInfo] = field(default_factory=list)
    embedded: bool = False  # the producer a Streams or Connect file runs (_embedded_producers)

    def own_values(self, names: Sequence[str]) -> dict[str, str]:
        """The file's values of these keys that its role reads (a key of another role in
        the file is ignored by Kafka, so it is not used here either)."""
        own = {i.key for i in self.of_kind("kafka")}
        return {k: v.strip() for k, v in self.values.items() if k in names and k in own}

    def of_kind(self, *kinds: str) -> list[catalogue.KeyInfo]:
        """The keys of these kinds (kafka, third-party, misplaced, ...)."""
        return [k for k in self.keys if k.kind in kinds]


def load_files(specs: Sequence[str], kafka_version: str | None = None) -> list[ConfigFile]:
    """Read every file (``[ROLE:]PATH``); all unknown keys of all files in one UsageError.

    Under a release before 4.0 a key Kafka 4.4 does not define and that is close to none it
    does may be one 4.0 removed (``log.message.format.version``): it is kept as an
    older release's key, named not covered, never an error and never checked.
    """
    if not specs:
        raise UsageError("give one or more .properties files (ROLE:FILE to name a file's role)")
    try:
        version = versions.parse(versions.DEFAULT if kafka_version is None
                                 else str(kafka_version))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    cat = catalogue.load()
    files: list[ConfigFile] = []
    problems: list[str] = []
    unexamined = 0
    for spec in specs:
        role, path = _split_spec(spec)
        values = load_properties_file(path)
        why = "named on the command line"
        if role is None:
            role, why = cat.infer_role(values)
            if role is None:
                raise UsageError(f"{path}: cannot tell which role it plays ({why}); name it "
                                 f"as ROLE:{path} with ROLE one of {', '.join(catalogue.ROLES)}")
        infos = []
        for n, key in enumerate(values):
            info = cat.classify(role, key)
            if version < (4, 0):
                info = _older_release(info, cat.version)
            infos.append(info)
            if len(problems) == MAX_UNKNOWN_NAMED:
                # refused anyway: each further did-you-mean searches the whole catalogue
                unexamined += len(values) - n
                break
            if info.kind == "unknown":
                problems.append(f"{path}: {info.key!r}{info.detail}")
            elif info.definition is not None and info.kind in ("kafka", "kafka-prefix") \
                    and _provider_variable(values, info.key):
                # AbstractConfig resolves ${provider:path:key} before it validates: a secret
                # (a password, a JAAS config) is taken as it is, unchecked; a setting the
                # models read is only known at runtime, so no guarantee could be judged on it
                if not _read_by_a_model(info.key):
                    continue
                problems.append(f"{path}: {info.key}={values[info.key].strip()} is a config "
                                "provider's variable (config.providers): Kafka resolves it at "
                                "runtime, review reads literal values only; give the value "
                                "it resolves to")
            elif info.definition is not None and info.kind in ("kafka", "kafka-prefix"):
                try:
                    setting = kafka_settings.lookup(info.key)
                    if role == "streams" and kafka_settings.application_value(
                            info.key, role, values[info.key], version) is not None:
                        pass  # Streams' own key (group.protocol from 4.1), judged there
                    elif setting is not None and info.kind == "kafka":
                        # Kafka's type check and the models' parser, judged by the release
                        setting.value_in(values[info.key], version)
                    else:
                        catalogue.parse_value(info.definition, values[info.key])
                except kafka_settings.SettingError as exc:
                    problems.append(f"{path}: {exc}")
                except ValueError as exc:
                    problems.append(f"{path}: invalid value {values[info.key]!r} for "
                                    f"{info.key}: {exc}")
                else:
                    refused = _refused(role, info.key, values[info.key], version)
                    if refused:
                        problems.append(f"{path}: invalid value {values[info.key]!r} for "
                                        f"{info.key}: {refused}")
            if info.key == "process.roles" and role == "broker" and version >= (4, 0) \
                    and not values[info.key].strip():
                # KAFKA-18331: 4.0 requires process.roles (empty: ZooKeeper mode, removed)
                problems.append(f"{path}: process.roles is empty: Kafka "
                                f"{versions.text(version)} requires process.roles (broker, "
                                "controller or broker,controller; KAFKA-18331)")
        files.append(ConfigFile(path, role, why, values, infos))
    if problems:
        head = "unknown or invalid Kafka setting" if len(problems) == 1 and not unexamined \
            else f"{len(problems)} unknown or invalid Kafka settings{unexamined_note(unexamined)}"
        raise UsageError(f"{head}: {'; '.join(problems)}")
    return files


# The clients whose ConfigDef refuses an empty or repeated bootstrap.servers from 4.2
# (KIP-1161); AdminClientConfig still takes an empty list.
_REQUIRE_BOOTSTRAP = ("producer", "consumer", "streams", "connect-worker")


def _refused(role: str, key: str, text: str, version: tuple[int, int]) -> str | None:
    """Why Kafka ``version`` refuses this value of ``key`` in a ``role`` file, where a
    release's own validator is stricter than the catalogue's (settings.REFUSED_SINCE)."""
    if key == "bootstrap.servers" and role not in _REQUIRE_BOOTSTRAP:
        return None
    if key.endswith("partition.assignment.strategy"):
        # ConsumerPartitionAssignor.getAssignorInstances loads each entry as a class
        # (Utils.loadClass): the short names `check --set` takes are no class.
        for item in (i.strip() for i in text.split(",")):
            if item and "." not in item:
                known = kafka_settings.ASSIGNOR_CLASSES.get(item.lower()) or next(
                    (c for c in kafka_settings.ASSIGNOR_CLASSES.values()
                     if c.rsplit(".", 1)[1].lower() == item.lower()), None)
                return (f"Kafka cannot load class {item!r} (ConsumerPartitionAssignor"
                        ".getAssignorInstances)"
                        + (f": give its class name, {known}" if known else ""))
    return kafka_settings.refused_in(key, catalogue.java_trim(text), version)


def _older_release(info: catalogue.KeyInfo, catalogue_version: str) -> catalogue.KeyInfo:
    """An unknown key close to no key Kafka 4.4 or ZooKeeper mode defines is kept as an
    older release's key; one close to such a key stays an error, with the suggestion."""
    if info.kind != "unknown" or info.detail:
        return info
    hint = catalogue.did_you_mean(info.key, catalogue.ZOOKEEPER_KEYS)
    if hint:
        return catalogue.KeyInfo(info.key, "unknown", hint)
    return catalogue.KeyInfo(info.key, "older-release",
                             f"not in Kafka {catalogue_version}'s catalogue")


def _read_by_a_model(key: str) -> bool:
    """Whether a model reads the key, or the key changes what Kafka guarantees
    (model/settings.py semantics): a secret or a TLS path is neither."""
    setting = kafka_settings.lookup(key)
    if setting is not None and setting.semantics:
        return True
    return any(key in registry.model_class(m).settings for m in registry.available())


def _provider_variable(values: Mapping[str, str], key: str) -> bool:
    """Whether a key's value is a config provider's variable (${name:path:key}, KIP-297)
    that a provider the file names (config.providers) would resolve."""
    import re

    names = {n.strip() for n in values.get("config.providers", "").split(",") if n.strip()}
    match = re.fullmatch(r"\$\{([^:}]+):[^}]*\}", values[key].strip())
    return bool(match and match.group(1) in names)


def _split_spec(spec: str) -> tuple[str | None, str]:
    """ROLE:PATH or PATH; a prefix close to a role, with no file of the whole name, is a
    mistyped role (producr:p.properties), named with the close one."""
    role, sep, path = spec.partition(":")
    if sep and role in catalogue.ROLES:
        if not path:
            raise UsageError(f"{spec}: give the file after {role}:")
        return role, path
    if sep and role and not Path(spec).exists():
        hint = catalogue.did_you_mean(role, catalogue.ROLES)
        if hint:
            raise UsageError(f"unknown role {role!r} in {spec}{hint} (roles: "
                             f"{', '.join(catalogue.ROLES)})")
    return None, spec


# -- what to check ----------------------------------------------------------------------


@dataclass
class Guarantee:
    """One guarantee to check: the model question, its bounds, and the outcome."""

    key: str
    title: str
    model: str
    properties: tuple[str, ...]
    settings: dict[str, str]
    bounds: dict[str, Any]
    candidates: list[tuple[str, str]]  # setting changes that may fix a violation
    assumptions: list[str] = field(default_factory=list)
    verdict: str = ""
    reason: str = ""  # for not covered
    result: Any = None
    fix: list[tuple[str, str]] | None = None
    other_fixes: list[list[tuple[str, str]]] = field(default_factory=list)
    fix_searched: int = 0  # candidate runs made
    undecided: list[list[tuple[str, str]]] = field(default_factory=list)  # ran out of time
    # candidate changes whose re-check came back not covered (the reason, never a timeout)
    uncovered_fixes: list[tuple[list[tuple[str, str]], str]] = field(default_factory=list)
    # candidate changes that hold only under an assumed setting no file shows (also_under),
    # with why; larger sets that contain one are still tried
    conditional_fixes: list[tuple[list[tuple[str, str]], str]] = field(default_factory=list)
    fix_search_cut: bool = False  # the fix search stopped at its time budget
    fix_search_started: bool = False  # False: --no-fix, or Ctrl-C came first
    # keys review gives the model another value on purpose, each said in an assumption
    # (a replication.factor above a model's reach, carried by a bound): not_passed_on
    # skips them
    mapped: frozenset[str] = frozenset()
    # broker keys the dedicated KRaft controllers decide (controller_keys): a broker
    # node's own value of one is not the cluster's, and a controller-only node's other
    # topic defaults are nobody's (it hosts no replica); not_passed_on skips those
    from_controllers: frozenset[str] = frozenset()
    # why a HOLDS at these bounds is no verdict (bounds known to be too small for a
    # violation larger ones show): such a run is reported not covered with this reason
    holds_is_no_verdict: str = ""
    # settings no file can show (a cluster feature level) under which a HOLDS is checked
    # again: a violation there makes it not covered, naming both (_also_under_failure)
    also_under: dict[str, str] = field(default_factory=dict)
    also_under_why: str = ""
    seconds: float = 0.0
    sources: list[ConfigFile] = field(default_factory=list)  # the files it draws on


@dataclass
class Review:
    """Everything a review found."""

    files: list[ConfigFile]
    guarantees: list[Guarantee]
    not_covered: list[tuple[str, str]]  # (what, why)
    budget: float
    seconds: float = 0.0
    catalogue_version: str = ""
    kafka_version: str = versions.DEFAULT  # the release whose rules and defaults are checked
    fix_search: bool = True  # False: --no-fix, no violation's fix was looked for
    interrupted: bool = False  # Ctrl-C stopped it: the guarantees after it were not checked

    @property
    def exit_code(self) -> int:
        """0 all hold, 1 a guarantee is violated, 3 something is not covered."""
        if any(g.verdict == VIOLATED for g in self.guarantees):
            return 1
        if self.not_covered or any(g.verdict != HOLDS for g in self.guarantees):
            return 3
        return 0


def _first(files: Sequence[ConfigFile], role: str) -> ConfigFile | None:
    return next((f for f in files if f.role == role), None)


def _value(files: Sequence[ConfigFile], role: str, key: str) -> str | None:
    f = _first(files, role)
    return f.values.get(key).strip() if f is not None and key in f.values else None


def _roles(text: str) -> frozenset[str]:
    """A process.roles value as a set (KafkaConfig.parseProcessRoles: broker, controller)."""
    return frozenset(p.strip().lower() for p in text.split(",") if p.strip())


def gives_roles(f: ConfigFile) -> bool:
    """Whether a file names process.roles: an empty value is Kafka's default, ZooKeeper
    mode before 4.0 (KafkaConfig.requiresZookeeper; refused for 4.x in load_files)."""
    return bool(f.values.get("process.roles", "").strip())


def zookeeper_broker(f: ConfigFile) -> bool:
    """A broker file in ZooKeeper mode: zookeeper.connect or an empty process.roles, and no
    roles named."""
    return f.role == "broker" and not gives_roles(f) and (
        "zookeeper.connect" in f.values or "process.roles" in f.values)


def _zookeeper_why(f: ConfigFile) -> str:
    """What makes a file a ZooKeeper-mode broker (zookeeper_broker)."""
    return ("process.roles empty" if "process.roles" in f.values
            else "zookeeper.connect, no process.roles")


def runs_broker(f: ConfigFile) -> bool:
    """Whether a broker-role file is a node that runs a broker: process.roles naming
    broker, or none (ZooKeeper mode, or not said).  A controller-only node
    (process.roles=controller, ControllerServer without BrokerServer) hosts no replica and
    no group coordinator."""
    return f.role == "broker" and (not gives_roles(f)
                                   or "broker" in _roles(f.values["process.roles"]))


def controller_only(files: Sequence[ConfigFile]) -> list[ConfigFile]:
    """The files of controller-only nodes (process.roles=controller)."""
    return [f for f in files if f.role == "broker" and gives_roles(f) and not runs_broker(f)]


def dedicated_controllers(roles: str | None) -> bool:
    """Whether the brokers' process.roles (broker_roles) leaves the controller role to
    dedicated nodes: a KRaft cluster whose broker nodes are not voters."""
    return roles is not None and "controller" not in _roles(roles)


def decided_by_controllers(roles: str | None, version: versions.Version) -> tuple[str, ...]:
    """The topic defaults the controllers decide in a cluster whose brokers run ``roles``:
    controller_keys beside dedicated controllers, none where the brokers are voters too."""
    return controller_keys(version) if dedicated_controllers(roles) else ()


def controller_keys(version: versions.Version) -> tuple[str, ...]:
    """Topic defaults a KRaft controller reads from its own configuration, not the brokers':
    a topic created without a replication factor gets the controller's
    default.replication.factor (brokers forward CreateTopics; ControllerServer ->
    ReplicationControlManager.createTopic; auto-created topics take the broker's,
    AutoTopicCreationManager), and from 3.9 elections read the controller's
    unclean.leader.election.enable (ConfigurationControlManager, KAFKA-12670)."""
    keys = ["default.replication.factor"]
    if versions.has_fix(versions.text(version), "KAFKA-12670"):
        keys.append("unclean.leader.election.enable")
    return tuple(keys)


def _broker_value(files: Sequence[ConfigFile], key: str) -> str | None:
    """The first broker node's value of a key read by the brokers alone (the group
    coordinator's); a file that gives another value is named by not_passed_on."""
    for f in files:
        if runs_broker(f) and key in f.values:
            return f.values[key].strip()
    return None


def broker_roles(files: Sequence[ConfigFile]) -> tuple[str | None, list[str], str | None]:
    """process.roles of the cluster's brokers: (value, notes, disagreement).

    Read from the files whose process.roles names broker, never from a controller-only
    node's (process.roles=controller); with only controller files the brokers are
    dedicated ones (process.roles=broker).  Broker files that give different values are
    the disagreement (None when they agree).
    """
    given = [f for f in files if f.role == "broker" and gives_roles(f)]
    brokers = [f for f in given if runs_broker(f)]
    controllers = [f for f in given if not runs_broker(f)]
    name = {f.path: f.path.rsplit("/", 1)[-1] for f in given}
    notes: list[str] = []
    if not brokers:
        if not controllers:
            return None, notes, None
        notes.append("process.roles=broker assumed for the brokers: only controller-only "
                     "files give process.roles ("
                     + ", ".join(f"{name[f.path]}: {f.values['process.roles'].strip()}"
                                 for f in controllers) + ")")
        return "broker", notes, None
    value = brokers[0].values["process.roles"].strip()
    if controllers:
        notes.append(f"process.roles={value} from the broker file {name[brokers[0].path]}; "
                     + ", ".join(f"{name[f.path]} (process.roles="
                                 f"{f.values['process.roles'].strip()})" for f in controllers)
                     + " is a controller-only node, not a broker")
    if len({_roles(f.values["process.roles"]) for f in brokers}) > 1:
        return value, notes, ("process.roles differs between the broker files ("
                              + ", ".join(f"{name[f.path]}: "
                                          f"{f.values['process.roles'].strip()}"
                                          for f in brokers)
                              + "): the controller model runs every broker node alike "
                              "(combined or beside dedicated controllers)")
    return value, notes, None


def zookeeper_mix(files: Sequence[ConfigFile]) -> str | None:
    """Why broker files that mix ZooKeeper mode (zookeeper.connect, no process.roles) and
    KRaft (process.roles) are not checked: the replication model runs one mode's rules
    (a ZooKeeper-to-KRaft migration, KIP-866, is not modelled).  None when they do not."""
    zookeeper = [f for f in files if zookeeper_broker(f)]
    kraft = [f for f in files if runs_broker(f) and gives_roles(f)]
    if not zookeeper or not kraft:
        return None
    return (f"the broker files mix ZooKeeper mode ({zookeeper[0].path.rsplit('/', 1)[-1]}: "
            f"{_zookeeper_why(zookeeper[0])}) and KRaft ({kraft[0].path.rsplit('/', 1)[-1]}"
            f": process.roles={kraft[0].values['process.roles'].strip()}): a migration "
            "(KIP-866) is not modelled, and the two modes elect leaders by different rules")


# A topic setting and the broker setting that supplies its default (LogConfig).
TOPIC_DEFAULTS = (("replication.factor", "default.replication.factor"),
                  ("min.insync.replicas", "min.insync.replicas"),
                  ("unclean.leader.election.enable", "unclean.leader.election.enable"),
                  ("flush.messages", "log.flush.interval.messages"))


def broker_disagreements(files: Sequence[ConfigFile], topic: ConfigFile | None,
                         version: versions.Version, roles: str | None = None) -> list[str]:
    """Broker defaults the topic does not override and the broker nodes' files set
    differently: each broker applies its own (LogManager builds its default LogConfig from
    its own file, and a leader judges acks=all by its own min.insync.replicas), so no one
    value describes the cluster.  A controller-only node hosts no replica, and beside
    dedicated controllers the keys they decide (controller_keys) are theirs, not the
    brokers' (_controllers_value)."""
    brokers = [f for f in files if runs_broker(f)]
    decided = decided_by_controllers(roles, version)
    out = []
    for topic_key, broker_key in TOPIC_DEFAULTS if len(brokers) > 1 else ():
        if topic is not None and topic_gives(topic.values, topic_key):
            continue
        if broker_key in decided:
            continue
        default = _default(broker_key, version)
        seen = {f.path.rsplit("/", 1)[-1]: f.values.get(broker_key, default).strip()
                for f in brokers}
        if len(set(seen.values())) > 1:
            out.append(f"{broker_key} differs between the broker files ("
                       + ", ".join(f"{name}: {v}" for name, v in seen.items())
                       + "): each broker applies its own; give them one value, or set "
                       f"{topic_key} on the topic")
    return out


def topic_gives(values: Mapping[str, str], topic_key: str) -> bool:
    """Whether a topic file sets this key itself: replication.factor=-1 asks for the
    default.replication.factor of whoever creates the topic (KIP-464, 2.4: the KRaft
    controller's, ReplicationControlManager.createTopic; ZooKeeper mode's broker that
    takes the request), so it sets nothing."""
    if topic_key not in values:
        return False
    return not (topic_key == "replication.factor" and values[topic_key].strip() == "-1")


def topic_settings(files: Sequence[ConfigFile], topic: ConfigFile | None = None,
                   decided: Sequence[str] = ()) -> tuple[dict[str, str], list[str]]:
    """The topic's replication settings: the topic file, else the broker nodes' defaults
    (for the keys in ``decided``, the dedicated controllers': controller_keys), else
    Kafka's defaults (each fallback named; replication.factor=-1 asks for the default
    replication factor, topic_gives)."""
    out: dict[str, str] = {}
    notes: list[str] = []
    controllers = controller_only(files)
    if topic is not None:
        files = [topic, *(f for f in files if f.role != "topic")]
    first = _first(files, "topic")
    minus_one = first is not None and "replication.factor" in first.values \
        and not topic_gives(first.values, "replication.factor")
    for topic_key, broker_key in TOPIC_DEFAULTS:
        value = _value(files, "topic", topic_key)
        if value is not None and not topic_gives({topic_key: value}, topic_key):
            value = None
        if value is None:
            whose = "the controllers'" if broker_key in decided else "the broker's"
            value = next((f.values[broker_key].strip() for f in (
                controllers if broker_key in decided else
                [f for f in files if runs_broker(f)]) if broker_key in f.values), None)
            if value is not None and topic_key != "flush.messages":
                asked = (" (the topic file's replication.factor=-1 asks for it, KIP-464)"
                         if topic_key == "replication.factor" and minus_one else "")
                notes.append(f"{topic_key}={value} from {whose} {broker_key}{asked}")
        if value is not None and topic_gives({topic_key: value}, topic_key):
            out[topic_key] = value
    if "replication.factor" not in out:
        whose = ("controllers'" if "default.replication.factor" in decided
                 else "broker's")
        notes.append(f"replication.factor=-1 in the topic file asks for the {whose} "
                     f"default.replication.factor, which no {whose[:-2]} file gives: Kafka's "
                     f"default (default.replication.factor=1) assumed; give the {whose} file"
                     if minus_one else
                     "replication.factor not given: Kafka's default (default.replication."
                     "factor=1) assumed; give the topic's file")
    return out, notes


def plan(files: Sequence[ConfigFile], version: versions.Version | None = None,
         release: str | None = None) -> tuple[list[Guarantee], list[tuple[str, str]]]:
    """The guarantees worth checking for these files, and what is not covered (named).

    Each producer file is checked against each topic file (or the broker's defaults),
    each consumer file on its own; with several, titles name the files.  ``version`` (the
    Kafka release, default the newest modelled) supplies the defaults of unset settings;
    ``release`` is that release as given, patch included (3.0.1 has a fix 3.0 lacks).
    """
    version = version or versions.parse(versions.DEFAULT)
    release = release or versions.text(version)
    roles = {f.role for f in files}
    guarantees: list[Guarantee] = []
    not_covered: list[tuple[str, str]] = []
    producers: list[ConfigFile | None] = [f for f in files if f.role == "producer"]
    writers = producers + _embedded_producers(files)
    topics: list[ConfigFile | None] = [f for f in files if f.role == "topic"]
    consumers = [f for f in files if f.role == "consumer"]
    brokers = [f for f in files if f.role == "broker"]
    many = len(writers) > 1 or len(topics) > 1

    def drawing_on(*sources: ConfigFile | None) -> None:
        for g in guarantees[planned:]:
            g.sources = [f for f in sources if f is not None]

    if roles & {"producer", "topic", "broker"}:
        for producer in writers or [None]:
            for topic_file in topics or [None]:
                names = [f.path.rsplit("/", 1)[-1] for f in (producer, topic_file) if f]
                where = f" [{' + '.join(names)}]" if many and names else ""
                planned = len(guarantees)
                _replication_guarantees(files, producer, topic_file, where, version,
                                        guarantees, not_covered, release)
                drawing_on(producer, topic_file, *brokers)
    for producer in producers:
        assert producer is not None
        where = f" [{producer.path.rsplit('/', 1)[-1]}]" if many else ""
        roles = broker_roles(files)[0]
        topic, _notes = topic_settings(files, topics[0] if topics else None,
                                       decided_by_controllers(roles, version))
        # With ELR on, the dedicated controllers' min.insync.replicas is in force, as in
        # the replication guarantees.
        elr_min_isr = _controllers_min_isr(files, topics[0] if topics else None, roles,
                                           version)
        known = elr_min_isr is not None and elr_min_isr[0] is not None
        if known:
            topic = {**topic, "min.insync.replicas": elr_min_isr[0]}
        planned = len(guarantees)
        _producer_guarantees(producer, topic, where, version, guarantees, not_covered,
                             release, files)
        if known:
            for g in guarantees[planned:]:
                g.from_controllers = g.from_controllers | {"min.insync.replicas"}
                g.assumptions.append(elr_min_isr[1])
        drawing_on(producer, topics[0] if topics else None, *brokers)
    for consumer in consumers:
        where = f" [{consumer.path.rsplit('/', 1)[-1]}]" if len(consumers) > 1 else ""
        planned = len(guarantees)
        _consumer_guarantees(files, consumer, where, version, guarantees, not_covered,
                             release)
        drawing_on(consumer, *topics, *brokers)
    for g in guarantees:
        blocked = unmodelled_for(g, version)
        reasons = [f"{key}={text} in {f.path.rsplit('/', 1)[-1]} changes {roles} semantics "
                   "that no model here covers" for f, key, text, roles in blocked]
        # A key the model reads that review did not pass on: never dropped in silence.
        reasons += [f"{key}={text} in {f.path.rsplit('/', 1)[-1]}: the {g.model} model reads "
                    f"it, but review checked "
                    + ("Kafka's default" if checked is None else f"the value {checked}")
                    + " (review does not pass this file's value on here)"
                    for f, key, text, checked in not_passed_on(g)]
        if reasons:
            g.verdict, g.reason = NOT_COVERED, "; ".join(reasons)
    _mixed_groups(consumers, guarantees, version)
    _auto_created_topics(files, version, not_covered)
    _other_client_role(files, not_covered)
    _not_covered_roles(files, not_covered)
    _not_covered_settings(files, not_covered)
    for f in files:
        older = [i.key for i in f.of_kind("older-release")]
        if older:
            not_covered.append((f"settings of an older release ({f.path.rsplit('/', 1)[-1]})",
                                f"{', '.join(older)}: not in the Kafka "
                                f"{catalogue.load().version} catalogue review knows, so "
                                "neither their names nor their effect are checked"))
    if not guarantees and not not_covered:
        not_covered.append(("delivery guarantees", "no producer, consumer, topic or broker "
                            "file among the inputs"))
    for i, g in enumerate(guarantees):
        if any(h.key == g.key for h in guarantees[:i]):
            g.key = f"{g.key}-{i}"
    return guarantees, not_covered


def _auto_created_topics(files: Sequence[ConfigFile], version: versions.Version,
                         not_covered: list[tuple[str, str]]) -> None:
    """Without a topic file, dedicated controllers give the replication factor of topics
    created through the admin API; a topic a producer's metadata request auto-creates takes
    the broker's own default.replication.factor (AutoTopicCreationManager), which may be
    another one: named, not covered."""
    roles = broker_roles(files)[0]
    if any(f.role == "topic" for f in files) \
            or "default.replication.factor" not in decided_by_controllers(roles, version):
        return
    controllers = {f.values.get("default.replication.factor", "1").strip()
                   for f in controller_only(files)}
    for f in files:
        if not runs_broker(f) or f.values.get("auto.create.topics.enable",
                                              "true").strip().lower() == "false":
            continue
        own = f.values.get("default.replication.factor", "1").strip()
        if controllers and own not in controllers:
            not_covered.append((
                f"auto-created topics ({f.path.rsplit('/', 1)[-1]})",
                f"auto.create.topics.enable is on and this broker's default.replication."
                f"factor={own} is not the controllers' {'/'.join(sorted(controllers))}: a "
                "topic a producer's metadata request creates takes the broker's value "
                "(AutoTopicCreationManager), which the guarantees above do not check; give "
                "the topic file, or set auto.create.topics.enable=false"))
            return


def _mixed_groups(consumers: Sequence[ConfigFile], guarantees: Sequence[Guarantee],
                  version: versions.Version) -> None:
    """Consumer files of one group.id with different group.protocol values make one mixed
    group, which a 4.x coordinator runs as a consumer group serving the classic members
    (KIP-848 online migration: GroupMetadataManager.classicGroupJoinToConsumerGroup,
    group.consumer.migration.policy); no model has such a group, so the group guarantees
    of those files are not covered."""
    protocols: dict[str, dict[str, list[ConfigFile]]] = {}
    for f in consumers:
        group = f.values.get("group.id", "").strip()
        protocol = f.values.get("group.protocol", "").strip().lower() or _default(
            "group.protocol", version).lower()
        if group:
            protocols.setdefault(group, {}).setdefault(protocol, []).append(f)
    for group, by_protocol in protocols.items():
        if len(by_protocol) < 2:
            continue
        mixed = {id(f) for fs in by_protocol.values() for f in fs}
        names = "; ".join(f"{p}: " + ", ".join(f.path.rsplit("/", 1)[-1] for f in fs)
                          for p, fs in sorted(by_protocol.items()))
        for g in guarantees:
            if any(id(f) in mixed for f in g.sources) and g.verdict != NOT_COVERED:
                g.verdict = NOT_COVERED
                g.reason = (f"group.id={group} is one group of members with different "
                            f"group.protocol values ({names}): a mixed group, which the "
                            "coordinator runs as a consumer group serving its classic members "
                            "(KIP-848 online migration, group.consumer.migration.policy); no "
                            "model here runs such a group")


# The producer keys a Streams application or a Connect worker or connector hands to the
# producer that writes the topic, first match wins: StreamsConfig.getClientPropsWithPrefix
# puts producer.* over the bare producer keys, which reach the producer too
# (getProducerConfigs); Worker.baseProducerConfigs applies the worker's producer.* and a
# connector's producer.override.* on top of its own acks=all, never a bare key.
EMBEDDED_PRODUCER_PREFIXES = {"streams": ("producer.", ""), "connect-worker": ("producer.",),
                              "connector": ("producer.override.",)}


def _embedded_producers(files: Sequence[ConfigFile]) -> list[ConfigFile | None]:
    """A producer per Streams or Connect file that sets the acks of the producer it runs,
    for the replication guarantees (the producer guarantees read producer files only)."""
    from kafkacheck.model.clients.connect_clients import policy_alias, refuses_override
    from kafkacheck.model.clients.streams import eos_acks_problem, eos_producer_problem

    out: list[ConfigFile | None] = []
    policies = {f.values["connector.client.config.override.policy"].strip()
                for f in files if f.role == "connect-worker"
                and "connector.client.config.override.policy" in f.values}
    for f in files:
        guarantee = f.values.get("processing.guarantee", "").strip()
        if f.role == "streams":
            problem = eos_producer_problem(guarantee, f.values)
            if problem:
                raise UsageError(f"{f.path}: Kafka refuses this Streams configuration: "
                                 f"{problem}")
        if f.role == "streams" and guarantee.startswith("exactly_once") and not any(
                p + "acks" in f.values for p in EMBEDDED_PRODUCER_PREFIXES["streams"]):
            # PRODUCER_EOS_OVERRIDES: an idempotent producer, whose acks is all (ProducerConfig
            # puts -1 in force before 3.0 too, where the default is 1).
            out.append(ConfigFile(f.path, "producer", f"acks=all of the idempotent producer "
                                  f"Streams runs under processing.guarantee={guarantee} "
                                  "(StreamsConfig PRODUCER_EOS_OVERRIDES)", {"acks": "all"},
                                  embedded=True))
            continue
        for prefix in EMBEDDED_PRODUCER_PREFIXES.get(f.role, ()):
            if prefix + "acks" in f.values and f.role == "connector":
                refusing = sorted(p for p in map(policy_alias, policies)
                                  if refuses_override(p, "acks"))
                if refusing:
                    # AbstractHerder.validateClientOverrides: the connector is refused.
                    raise UsageError(
                        f"{f.path}: the worker's connector.client.config.override.policy="
                        f"{refusing[0]} does not allow {prefix}acks, so Kafka refuses this "
                        "connector")
                sink = any(k in f.values for k in ("topics", "topics.regex"))
                if sink and not f.values.get("errors.deadletterqueue.topic.name", "").strip():
                    # Worker.sinkTaskReporters: a sink task has a producer only for its
                    # dead-letter queue; none writes the data topic.
                    break
            if prefix + "acks" in f.values:
                problem = f.role == "streams" and eos_acks_problem(
                    f.values.get("processing.guarantee", "").strip(), prefix + "acks",
                    f.values[prefix + "acks"].strip())
                if problem:
                    raise UsageError(f"{f.path}: Kafka refuses this Streams configuration: "
                                     f"{problem}")
                why = (f"{prefix}acks of a {f.role} file" if prefix else
                       f"acks of a {f.role} file (StreamsConfig passes a bare producer key "
                       "to its producer)")
                out.append(ConfigFile(f.path, "producer", why,
                                      {"acks": f.values[prefix + "acks"]}, embedded=True))
                break
            elif f.role == "connect-worker":
                # The worker's own acks, whatever the client default; a connector inherits it.
                from kafkacheck.model.clients.source import WORKER_PRODUCER_ACKS

                out.append(ConfigFile(f.path, "producer", "the Connect worker's own acks="
                                      f"{WORKER_PRODUCER_ACKS} (Worker.baseProducerConfigs)",
                                      {"acks": WORKER_PRODUCER_ACKS}, embedded=True))
    return out


def _default(key: str, version: versions.Version) -> str:
    """Kafka's default of a setting in this release, as a .properties file writes it."""
    return kafka_settings.render(key, kafka_settings.default_for(key, version))


# The producer settings whose value in force Kafka's ProducerConfig may change (besides the
# producer model's own settings, a transactional.id turns idempotence on).
PRODUCER_IN_EFFECT_KEYS = ("transactional.id",)


def producer_in_effect(values: Mapping[str, str], release: str) -> dict[str, str] | None:
    """The producer settings as they take effect in Kafka ``release`` (patch included),
    rendered as a .properties file writes them.  Kafka's own overrides come from the
    producer model's one definition of ProducerConfig's rules, ``effective_idempotence``
    (an idempotent producer on 0.11-2.8 runs with acks=all though acks defaults to 1;
    3.0.0 leaves the idempotence default unapplied), so review never re-derives them.
    None when Kafka refuses the configuration (the producer guarantee then says so)."""
    from kafkacheck.model.clients.producer import effective_idempotence

    cls = registry.model_class("producer")
    given = [(k, v) for k, v in values.items()
             if k in cls.settings or k in PRODUCER_IN_EFFECT_KEYS]
    try:
        config = build_config(cls, settings=given, kafka_version=release)
    except UsageError:
        return None
    enabled, _error, _note, overrides = effective_idempotence(config)
    in_effect = {**config.kafka, **overrides, "enable.idempotence": enabled}
    return {k: kafka_settings.render(k, v) for k, v in in_effect.items()}


def _replication_guarantees(files: Sequence[ConfigFile], producer: ConfigFile | None,
                            topic_file: ConfigFile | None, where: str,
                            version: versions.Version, guarantees: list[Guarantee],
                            not_covered: list[tuple[str, str]],
                            release: str | None = None) -> None:
    """Acknowledged writes through crashes, elections, power loss and partitions.

    With acks=0 a send succeeds with no broker confirmation; the models count such a
    send as acknowledged (the application relies on it), so acks=0 is checked like the rest.
    """
    # The brokers' process.roles, never a controller-only node's (broker_roles).
    roles, roles_notes, roles_disagree = broker_roles(files)
    decided = decided_by_controllers(roles, version)
    disagree = broker_disagreements(files, topic_file, version, roles)
    disagree += [why for key in decided
                 if (why := _controllers_value(files, topic_file, key, version)) is not None]
    mix = zookeeper_mix(files)
    if mix:
        disagree.append(mix)
    if disagree:
        for why in disagree:
            not_covered.append((f"acknowledged writes survive crashes{where}", why))
        return
    topic, topic_notes = topic_settings(files, topic_file, decided)
    acks = producer.values["acks"].strip() if producer and "acks" in producer.values else None
    rf = int(topic.get("replication.factor", "1"))
    settings = dict(topic)
    if acks is not None:
        settings["acks"] = acks
    from_controllers = set(decided)
    if roles:  # a KRaft cluster: the replication model applies KRaft's rules before 4.0
        settings["process.roles"] = roles
    notes = list(topic_notes) + roles_notes
    controllers_min_isr = _controllers_min_isr(files, topic_file, roles, version)
    if controllers_min_isr is not None:
        value, why = controllers_min_isr
        if value is None:
            not_covered.append((f"acknowledged writes survive crashes{where}", why))
            return
        settings["min.insync.replicas"] = value
        from_controllers.add("min.insync.replicas")
        # The brokers' value the topic settings named is not the one in force.
        notes = [n for n in notes if not n.startswith("min.insync.replicas=")]
        notes.append(why)
    decided_keys = frozenset(from_controllers)
    if producer is not None and producer.embedded:
        notes.append(f"acks={acks} from {producer.path.rsplit('/', 1)[-1]}: {producer.why}")
    if acks is None:
        default = f"Kafka {versions.text(version)}'s default acks={_default('acks', version)}"
        in_effect = None if producer is None else producer_in_effect(
            producer.own_values([*registry.model_class("producer").settings,
                                 *PRODUCER_IN_EFFECT_KEYS]),
            release or versions.text(version))
        if in_effect is not None and in_effect["acks"] != _default("acks", version):
            # ProducerConfig puts another acks in force (idempotence on 0.11-2.8): the
            # brokers see that one, so the replication models run with it.
            settings["acks"] = in_effect["acks"]
            notes.append(f"acks not set in the producer file: Kafka "
                         f"{release or versions.text(version)} runs it with "
                         f"acks={in_effect['acks']}, not the default "
                         f"acks={_default('acks', version)}, because idempotence is on "
                         "(ProducerConfig overrides an unset acks)")
        else:
            notes.append(f"acks not given: {default}" if producer is None else
                         f"acks not set in the producer file: {default}")
    if rf > 5:
        not_covered.append((f"acknowledged writes survive crashes{where}",
                            f"replication.factor={rf} is beyond exhaustive reach (at most 5)"))
        return
    props = ("NoAckedWriteLost", "CommittedRecordsStay")
    guarantees.append(Guarantee(
        "acked-writes-survive-crash", "Acknowledged writes survive a broker crash and the "
        f"leader election that follows{where}", "replication", props, settings,
        {"records": 2, "crashes": 1, "crash_kind": "process"},
        _replication_fixes(settings, version, power=False), notes,
        from_controllers=decided_keys))
    guarantees.append(Guarantee(
        "acked-writes-survive-elections", "Acknowledged writes survive leader elections (after "
        f"a crash and a preferred-leader move) and lost produce responses{where}",
        "replication", props, settings,
        {"records": 1, "crashes": 1, "crash_kind": "process", "leader_changes": 1,
         "lost_acks": 1}, _replication_fixes(settings, version, power=False), notes,
        from_controllers=decided_keys))
    power_notes = list(notes)
    elr = "eligible.leader.replicas.version"
    assumed = kafka_settings.feature_level_assumed(
        elr, frozenset(settings), kafka_settings.default_for(elr, version),
        versions.text(version))
    if assumed is not None:
        power_notes.append(f"{elr}=1 (KIP-966 ELR) {assumed}")
    guarantees.append(Guarantee(
        "acked-writes-survive-power-loss", "Acknowledged and committed writes survive a power "
        f"failure of a broker (its unflushed data is lost){where}", "replication", props,
        # Two records: the loss without ELR needs a second write acknowledged after the
        # ISR shrank (the seed claim's 11-step trace for Kafka before 4.1), at any RF (a
        # slow run is cut by the time budget and then not covered, never holds).
        settings, {"records": 2, "crashes": 1, "crash_kind": "power-loss"},
        _replication_fixes(settings, version), power_notes, from_controllers=decided_keys,
        # ELR is a feature level no file shows: a cluster upgraded from before 4.1 keeps 0
        also_under={elr: "0"} if assumed is not None else {},
        also_under_why=(f"{elr}=1 is assumed (clusters formatted by Kafka 4.1 or later); "
                        "a cluster upgraded from an earlier release keeps 0 until "
                        "kafka-features.sh upgrade --feature "
                        f"{elr}=1 (kafka-features.sh describe tells)")))
    deposed = ("A leader cut off from the controller (a network partition) loses no "
               f"acknowledged write{where}")
    zookeeper = [f for f in files if zookeeper_broker(f)]
    if zookeeper:
        # The controller model is KRaft's (KIP-500/631); ZooKeeper's controller is not
        # modelled, and Kafka 4.x has no ZooKeeper mode at all.
        release = ("" if version < (4, 0) else f"; Kafka {versions.text(version)} has no "
                   "ZooKeeper mode: give the cluster's --kafka-version")
        not_covered.append((deposed, f"{zookeeper[0].path} runs in ZooKeeper mode "
                            f"({_zookeeper_why(zookeeper[0])}): the controller model is "
                            f"KRaft's{release}"))
        return
    if roles_disagree:
        not_covered.append((deposed, roles_disagree))
        return
    brokers = min(max(rf, 1), 3)
    given_roles, roles = roles, roles or "broker"
    controller_settings = {k: v for k, v in settings.items()
                           if k in ("acks", "min.insync.replicas",
                                    "unclean.leader.election.enable")}
    controller_settings["process.roles"] = roles
    bounds: dict[str, Any] = {"records": 1, "crashes": 0, "isolations": 1, "brokers": brokers}
    controller_notes = list(notes)
    if rf > 3:
        controller_notes.append(f"brokers={brokers} (replication.factor {rf} mapped to the "
                                "controller model's 2-3 brokers)")
    if given_roles is None:
        controller_notes.append("process.roles=broker: dedicated KRaft controllers (no broker "
                                "file says otherwise)")
    elif "controller" in _roles(roles) and brokers < 3:
        bounds["controllers"] = brokers
    voters = _value(files, "broker", "controller.quorum.voters")
    if voters:  # id@host:port,... (QuorumConfig): the model's controllers bound
        count = len([v for v in voters.split(",") if v.strip()])
        why = ""
        if not count:
            why = f"controller.quorum.voters={voters!r} lists no voter"
        elif count > 5:
            why = (f"controller.quorum.voters names {count} voters: the controller model "
                   "runs at most 5")
        elif "controller" in roles and count > brokers:
            why = (f"process.roles={roles} with {count} voters on brokers that hold "
                   f"{brokers} replicas: the controller model puts a replica of the "
                   "partition on every broker, so it cannot run a voter without one")
        if why:
            not_covered.append((deposed, why))
            return
        bounds["controllers"] = count
        controller_notes.append(f"controllers={count} (controller.quorum.voters)")
    guarantees.append(Guarantee(
        "deposed-leader", deposed, "controller",
        ("DeposedLeaderAcksSurvive", "NoAckedWriteLost"), controller_settings, bounds,
        [c for c in _replication_fixes(settings, version, power=False)
         if c[0] != "replication.factor"],
        # replication.factor travels as the brokers bound (ControllerModel: one replica
        # per broker), said above when it is mapped
        controller_notes, mapped=frozenset({"replication.factor"}),
        from_controllers=decided_keys))


def _controllers_value(files: Sequence[ConfigFile], topic_file: ConfigFile | None,
                       broker_key: str, version: versions.Version) -> str | None:
    """Why a topic default the dedicated controllers decide (controller_keys) is unknown:
    the controller files give it differently (the active one's applies, and which is
    active is not fixed), or only broker files give it (a broker's own value is not the
    cluster's); None when it is known (the controllers' files, or nobody's: Kafka's
    default), or the topic sets it."""
    topic_key = next(t for t, b in TOPIC_DEFAULTS if b == broker_key)
    topics = [f for f in files if f.role == "topic"] if topic_file is None else [topic_file]
    if any(topic_gives(f.values, topic_key) for f in topics):
        return None
    default = _default(broker_key, version)
    controllers = controller_only(files)
    if controllers:
        values = {f.values.get(broker_key, default).strip() for f in controllers}
        if len({kafka_settings.lookup(broker_key).value_of(v) for v in values}) > 1:
            return (f"{broker_key} differs between the controller files: the active "
                    "controller's applies, and which one is active is not fixed; give them "
                    f"one value, or set {topic_key} on the topic")
        return None
    brokers = sorted({f.values[broker_key].strip() for f in files
                      if runs_broker(f) and broker_key in f.values and not _same(
                          broker_key, f.values[broker_key].strip(), default)})
    if not brokers:
        return None  # the brokers give Kafka's default, assumed for the controllers too
    what = ("fills in the replication factor of a topic created without one (brokers "
            "forward CreateTopics; ReplicationControlManager.createTopic; only auto-created "
            "topics take a broker's)" if broker_key == "default.replication.factor" else
            "reads it for elections (ConfigurationControlManager, KAFKA-12670)")
    return (f"{broker_key}={'/'.join(brokers)} comes from the broker files only: with "
            f"dedicated KRaft controllers the active controller {what} from its own "
            f"configuration; give the controllers' file, or set {topic_key} on the topic")


def _controllers_min_isr(files: Sequence[ConfigFile], topic_file: ConfigFile | None,
                         roles: str | None, version: versions.Version
                         ) -> tuple[str | None, str] | None:
    """With ELR on (the default of clusters formatted by 4.1+) the active controller writes
    its own static min.insync.replicas as the cluster default, over the brokers' static
    values (ActivationRecordsGenerator, ConfigurationControlManager
    .maybeGenerateElrSafetyRecords; DynamicBrokerConfig puts the cluster default over the
    static file).  With dedicated controllers and no topic value: (the controllers' value,
    its note), (None, why it is unknown), or None where the rule does not apply."""
    elr = "eligible.leader.replicas.version"
    if kafka_settings.default_for(elr, version) != 1 or roles is None \
            or "controller" in _roles(roles):
        return None
    topics = [f for f in files if f.role == "topic"] if topic_file is None else [topic_file]
    if any("min.insync.replicas" in f.values for f in topics):
        return None
    controllers = [f for f in files if f.role == "broker" and gives_roles(f)
                   and not runs_broker(f)]
    values = {f.values.get("min.insync.replicas", "1").strip() for f in controllers}
    if len(values) > 1:
        return None, ("the controller files give min.insync.replicas differently ("
                      + ", ".join(sorted(values)) + "): with ELR on, the active controller's "
                      "becomes the cluster default, and which one is active is not fixed")
    if values:
        value = values.pop()
        return value, (f"min.insync.replicas={value} from the controllers' file"
                       + (" (Kafka's default)" if all("min.insync.replicas" not in f.values
                                                      for f in controllers) else "")
                       + ": with ELR on (KIP-966) the controllers write their own value as "
                       "the cluster default, over the brokers' static one")
    brokers = {f.values["min.insync.replicas"].strip() for f in files
               if runs_broker(f) and "min.insync.replicas" in f.values}
    if not brokers or brokers == {"1"}:
        return None
    return None, (f"min.insync.replicas={'/'.join(sorted(brokers))} comes from the broker files "
                  "only: with ELR on (KIP-966, the default of clusters formatted by Kafka 4.1 "
                  "or later) the dedicated controllers write their own static value (Kafka's "
                  "default 1) as the cluster default, over the brokers' (ConfigurationControl"
                  "Manager.maybeGenerateElrSafetyRecords); give the controllers' file, or the "
                  "topic's min.insync.replicas")


def _producer_guarantees(producer: ConfigFile, topic: Mapping[str, str], where: str,
                         version: versions.Version, guarantees: list[Guarantee],
                         not_covered: list[tuple[str, str]],
                         release: str | None = None,
                         files: Sequence[ConfigFile] = ()) -> None:
    """No duplicates and kept order through retries.

    The producer model embeds the replication model: it gets the topic's settings and the
    brokers' own keys it reads (process.roles, producer.id.expiration.ms, ...), as the
    replication guarantees do.
    """
    rf = int(topic.get("replication.factor", "1"))
    cls = registry.model_class("producer")
    settings = producer.own_values(cls.settings)
    for key in ("replication.factor", "min.insync.replicas", "unclean.leader.election.enable",
                "flush.messages"):
        if key in topic:
            settings[key] = topic[key]
    roles, _notes, _disagree = broker_roles(files)
    if roles:  # KRaft's rules before 4.0 (the embedded replication model's)
        settings["process.roles"] = roles
    topic_defaults = {broker for _topic, broker in TOPIC_DEFAULTS}
    for key in cls.settings:
        setting = kafka_settings.lookup(key)
        if setting is not None and setting.scope == "broker" and key != "process.roles" \
                and key not in topic_defaults:
            value = _broker_value(files, key)
            if value is not None:
                settings[key] = value
    mapped: set[str] = set()
    # A broker crash during the retries is the producer model's longest search (one to two
    # minutes with three retries), past review's budget: the scope is said, not hidden.
    notes = ["no broker crash during the retries (the fault line names it as not explored); "
             "check that with `kafkacheck check producer --bound crashes=1 --bound "
             "retry_budget=3` and the same settings"]
    if rf > 3:
        settings["replication.factor"] = "3"
        mapped.add("replication.factor")
        notes.append(f"replication.factor {rf} checked as 3 here (the producer model's "
                     "limit; duplicates and order do not depend on it)")
        # A min.insync.replicas the real replicas can meet stays one the three checked can
        # meet (this mapping is review's, not Kafka's; the model applies each release's own
        # rule to a value above the replicas, KAFKA-15583 from 3.7).
        min_isr = int(settings.get("min.insync.replicas",
                                   _default("min.insync.replicas", version)))
        if 3 < min_isr <= rf:
            settings["min.insync.replicas"] = "3"
            mapped.add("min.insync.replicas")
            notes.append(f"min.insync.replicas {min_isr} checked as 3 with the 3 replicas")
    in_effect = producer_in_effect(settings, release or versions.text(version))
    # Three retries and a partition that already holds another writer's record: a
    # follower leaving the ISR is then enough for an idempotent producer's epoch bump to
    # write a retried batch twice (the producer-idempotent-epoch-bump preset).
    bounds: dict[str, Any] = {"records": 2, "batch_records": 1, "lost_responses": 1,
                              "retry_budget": 3}
    if int(settings.get("replication.factor", "1")) > 1:  # one replica: nothing lags
        bounds["foreign_records"] = 1
    if in_effect is not None and version >= (2, 5):
        from kafkacheck.model.clients.producer import expiration_and_delivery

        values: dict[str, Any] = {}
        for key, text in settings.items():
            setting = kafka_settings.lookup(key)
            try:
                if setting is not None:
                    values[key] = setting.value_in(text, version)
            except kafka_settings.SettingError:
                pass  # the producer model's own run says why
        expiry_key, expiration, delivery = expiration_and_delivery(values, version)
        if expiration < delivery:
            bounds["producer_state_expiries"] = 1
            notes.append(f"{expiry_key}={expiration} is shorter than delivery.timeout.ms="
                         f"{delivery}: the brokers may drop the producer's state while a "
                         "batch is retried, explored here (producer_state_expiries=1)")
    guarantees.append(Guarantee(
        "producer-exactly-once-order", "A producer's retries write no duplicate and keep "
        f"the order of records through lost responses{where}",
        "producer", ("NoDuplicates", "PartitionOrder"), settings, bounds,
        _producer_fixes(settings, version, in_effect), notes, mapped=frozenset(mapped)))
    # Order per key needs one partition per key: the partitioner decides it
    # (partitioner.class, partitioner.ignore.keys), not the retries.
    key_fixes = ([("partitioner.ignore.keys", "false")]
                 if settings.get("partitioner.ignore.keys", "").strip().lower() == "true"
                 else [])
    # The topic's partition count decides where a partitioner sends a key's records (3.9's
    # RoundRobinPartitioner keeps one key together over 2 partitions by accident,
    # KAFKA-17632): the topic file's, up to the model's 4; three without a topic file.
    given = _value(files, "topic", "partitions") or _broker_value(files, "num.partitions")
    whose = "topic" if _value(files, "topic", "partitions") else "brokers' num.partitions"
    count = min(int(given), KEY_ORDER_MAX_PARTITIONS) if given and given.isdigit() \
        and int(given) > 0 else 3
    told = (f"{given} partitions (the {whose})" if given and count == int(given) else
            f"{count} partitions (the {whose} gives {given}; the model explores up to "
            f"{KEY_ORDER_MAX_PARTITIONS})" if given else
            f"{count} partitions (no topic file gives the count)")
    guarantees.append(Guarantee(
        "producer-key-order", f"Records with the same key keep their order{where}",
        "producer", ("KeyOrder",), settings,
        {"records": 2, "keys": 1, "partitions": count, "batch_records": 1,
         "lost_responses": 0, "retry_budget": 0},
        key_fixes, [f"{told}, one key, no lost response and no partitions added while the "
                    "producer runs: the partitioner's choice (PartitionOrder above checks the "
                    "retries)"], mapped=frozenset(mapped)))


# The producer model's largest partitions bound.
KEY_ORDER_MAX_PARTITIONS = 4


def _consumer_guarantees(files: Sequence[ConfigFile], consumer: ConfigFile, where: str,
                         version: versions.Version, guarantees: list[Guarantee],
                         not_covered: list[tuple[str, str]],
                         release: str | None = None) -> None:
    """At-least-once processing and one owner per partition, through rebalances, on the
    model of the consumer's group.protocol (classic: group; consumer: group-consumer)."""
    kip848 = consumer.values.get("group.protocol", "").strip().lower() == "consumer"
    if kip848:
        # The KIP-848 model says which releases it covers (each with its coordinator's
        # rules): asked with the protocol alone, so the file's other settings are judged
        # by the checks themselves.
        try:
            build_config(registry.model_class("group-consumer"),
                         settings=[("group.protocol", "consumer")],
                         kafka_version=release or versions.text(version))
        except UsageError as exc:
            name = consumer.path.rsplit("/", 1)[-1]
            not_covered.append((f"consumer group guarantees ({name})",
                                f"Kafka {release or versions.text(version)}: {exc}"))
            return
    if not consumer.values.get("group.id", "").strip():
        name = consumer.path.rsplit("/", 1)[-1]
        not_covered.append((f"consumer group guarantees ({name})", "no group.id: the "
                            "consumer cannot subscribe() (InvalidGroupIdException) and is in "
                            "no group; with assign() nothing keeps a partition to one owner"))
        return
    model = "group-consumer" if kip848 else "group"
    label = " (KIP-848)" if kip848 else ""
    # With the keys Kafka checks against the group's protocol and the broker's group
    # limits (consumer_config.py): a consumer Kafka refuses to run is not covered.
    settings = consumer.own_values([*registry.model_class(model).settings, *CLIENT_KEYS])
    settings.update({key: value for key in GROUP_BROKER_KEYS[model]
                     if (value := _broker_value(files, key)) is not None})
    auto = settings.get("enable.auto.commit", "true").lower() == "true"
    retention = _retention_applies(files)
    notes = ["records processed in the poll loop; " + (
        "offsets committed by auto-commit in poll()" if auto else
        "enable.auto.commit=false: the application is assumed to commitSync() after "
        "processing each batch")]
    if retention:
        notes.append("retention may delete records the group has not processed yet (the "
                     "topic deletes old segments); a record deleted before anyone processed "
                     "it is not counted as owed: a consumer lagging past retention loses it "
                     "whatever its settings, and the check asks only about the records it "
                     "could read")
    if kip848 and version >= (4, 3):
        # GroupMetadataManager.maybeUpdateTargetAssignment (4.3): a new target at most once
        # per group.consumer.assignment.interval.ms (1000 ms by default).
        notes.append("the coordinator computes a new target assignment at the next "
                     "heartbeat after a change (group.consumer.assignment.interval.ms=0); "
                     "from Kafka 4.3 it may wait up to that interval (1000 ms by default), "
                     "a delay the model does not explore")
    reset = settings.get("auto.offset.reset", _default("auto.offset.reset", version)).lower()
    if reset == "latest":
        notes.append("auto.offset.reset=latest: a group with no committed offset starts at "
                     "the log end when it first polls a partition, so the records written "
                     "before then are never its to read and are not counted as owed (set "
                     "auto.offset.reset=earliest for a group that must read them)")
    bounds: dict[str, Any] = {"consumers": 2, "records": 2, "crashes": 1,
                              "retention": 1 if retention else 0}
    if kip848:
        bounds["partitions"] = 1
    if not auto:
        bounds["commit"] = "sync-after-processing"
    guarantees.append(Guarantee(
        "consumer-at-least-once",
        ("Every record still in the log when the group reaches it is processed at least once, "
         "through consumer crashes, rebalances and retention" if retention else
         "Every record is processed at least once, through consumer crashes and rebalances")
        + f"{label}{where}",
        model, ("AtLeastOnce", "NoSkippedOffsets"), settings, bounds,
        _consumer_fixes(settings, version), notes))
    owners: dict[str, Any] = {"consumers": 2, "partitions": 2, "records": 0, "crashes": 1,
                              "rejoins": 1}
    if not auto:
        owners["commit"] = "sync-after-processing"
    # Checked through crashes and restarts only, and named so: a member paused past its
    # session, past max.poll.interval.ms or (KIP-848) slow to revoke keeps its partitions
    # until it learns it was removed, two owners in every configuration (no setting fixes
    # it), which `check` shows with pauses, poll_timeouts or rebalance_timeouts.
    zombie = ("no member is paused past its session, or slow past max.poll.interval.ms: one "
              "that is keeps its partitions until it learns it was removed, so two consumers "
              "own a partition for a while whatever the settings (kafkacheck check "
              + ("group-consumer --bound pauses=1, or --bound rebalance_timeouts=1)" if kip848
                 else "group --bound pauses=1, or --bound records=1 --bound poll_timeouts=1)"))
    if not kip848 and settings.get("group.instance.id", "").strip():
        # KIP-345: a second process with the same id replaces the member without a
        # rebalance; the first is fenced only at its next request
        # (updateStaticMemberThenRebalanceOrCompleteJoin).
        zombie += ("; and no second process runs with the same group.instance.id (a "
                   "restart overlapping the old process): it takes the member's partitions "
                   "while the old one still processes them (kafkacheck check group --set "
                   "group.instance.id=ID --bound duplicate_instances=1)")
    guarantees.append(Guarantee(
        "one-owner", "No partition has two owners through consumer crashes, restarts and the "
        f"rebalances they cause{label}{where}", model,
        ("SingleOwnerAtCoordinator", "NoTwoOwnersAtOnce") if kip848 else
        ("OneOwnerPerGeneration", "NoTwoOwnersAtOnce"), settings, owners, [],
        ["a member crashes and is restarted; the coordinator assigns partitions server-side",
         zombie] if kip848 else ["a member crashes and a new one joins", zombie],
        holds_is_no_verdict=_kip848_window(settings, release or versions.text(version))
        if kip848 else ""))
    if kip848 and not auto:
        # KAFKA-20332 (fixed in 4.2.1 and 4.3): without auto-commit the background thread
        # completes a revocation while the application still processes the batch
        # (AbstractMembershipManager.maybeReconcile), no fault needed.
        guarantees.append(Guarantee(
            "no-concurrent-processing", "No two consumers process records of one partition "
            f"at once{label}{where}", model, ("NoConcurrentProcessing",), settings,
            {"consumers": 2, "partitions": 2, "records": 2, "hw_lag": 1,
             "commit": "sync-after-processing"}, [],
            ["commitSync after processing and no ConsumerRebalanceListener (subscribe(topics)):"
             " the consumer's background thread reconciles by itself; with a listener it "
             "waits for poll() (kafkacheck check group-consumer --bound "
             "rebalance_listener=registered)"]))


def _kip848_window(settings: Mapping[str, str], release: str) -> str:
    """Why the KIP-848 one-owner check's HOLDS at 2 consumers x 2 partitions is no verdict.

    The stale-reconciliation window (a member's heartbeat reports its owned partitions while
    it still takes a newer assignment; the coordinator releases what it did not report,
    CurrentAssignmentBuilder.ownsRevokedPartitions; its reconciliation then completes,
    AbstractMembershipManager.maybeAbortReconciliation) needs 3 consumers and 3 partitions
    under the uniform assignor: about a minute, past review's budget (audit 848race).
    """
    cls = registry.model_class("group-consumer")
    sets = " ".join(f"--set {shlex.quote(f'{key}={value}')}"
                    for key, value in sorted(settings.items()) if key in cls.settings)
    version = "" if release == versions.DEFAULT else f" --kafka-version {release}"
    return ("holds at these bounds, which are too small to show the KIP-848 "
            "stale-reconciliation window: a member reports its owned partitions while "
            "still taking a newer assignment, the coordinator releases the partition it is "
            "taking, and its reconciliation then adds it (two owners; with the uniform "
            "assignor it takes 3 consumers and 3 partitions). Check it with: kafkacheck check "
            f"group-consumer {sets} --bound consumers=3 --bound partitions=3 --bound "
            f"crashes=1 --bound rejoins=1 --property NoTwoOwnersAtOnce{version} "
            "(a minute or more)")


def _not_covered_roles(files: Sequence[ConfigFile],
                       not_covered: list[tuple[str, str]]) -> None:
    """Streams and Connect: roles review does not check (their models run only through
    `kafkacheck check`), named, not checked."""
    for f in files:
        if f.role == "streams":
            guarantee = f.values.get("processing.guarantee", "at_least_once").strip()
            not_covered.append((f"Kafka Streams application ({f.path})",
                                f"processing.guarantee={guarantee}: review does not run the "
                                "streams model; use `kafkacheck check streams`"))
        elif f.role in ("connect-worker", "connector"):
            not_covered.append((f"Kafka Connect {f.role.split('-')[-1]} ({f.path})",
                                "review does not run the Connect models; use `kafkacheck "
                                "check source` or `kafkacheck check sink`"))


@dataclass(frozen=True)
class Uncovered:
    """A setting that changes what Kafka guarantees in a way no model here covers."""

    role: str
    key: str
    values: tuple[str, ...]  # values (lower case) that change the semantics; () any non-empty
    what: str  # the guarantee it concerns
    why: str
    contains: bool = False  # a list value (cleanup.policy): any element matches

    def value(self, f: ConfigFile) -> str | None:
        """The file's value when it changes the semantics, else None."""
        if f.role != self.role or self.key not in f.values:
            return None
        text = f.values[self.key].strip()
        low = text.lower()
        if not self.values:
            return text or None
        parts = [p.strip() for p in low.split(",")] if self.contains else [low]
        return text if any(p in self.values for p in parts) else None

    def applies(self, f: ConfigFile) -> bool:
        """Does this file set the setting to a value that changes the semantics?"""
        return self.value(f) is not None


# Semantics-changing settings the models do not cover, with the guarantee they concern
# named as not covered (exit 3) in review's own words.  Any such setting, these and the
# rest that model/settings.py marks, also makes the guarantees drawing on its file not
# covered (unmodelled_for), the rule `check` applies to a model's run.
UNCOVERED: tuple[Uncovered, ...] = (
    Uncovered("producer", "transactional.id", (), "transactions (exactly-once across "
              "partitions)", "review does not run the transactions model: use "
              "`kafkacheck check transactions`"),
    Uncovered("consumer", "isolation.level", ("read_committed",), "read_committed "
              "consumption", "review does not run the transactions model: use "
              "`kafkacheck check transactions`"),
    Uncovered("topic", "cleanup.policy", ("compact",), "log compaction",
              "compaction is not modelled", contains=True),
    Uncovered("broker", "log.cleanup.policy", ("compact",), "log compaction (the broker's "
              "default for topics)", "compaction is not modelled", contains=True),
    Uncovered("topic", "remote.storage.enable", ("true",), "tiered storage",
              "tiered storage (KIP-405) is not modelled"),
)


def _not_covered_settings(files: Sequence[ConfigFile],
                          not_covered: list[tuple[str, str]]) -> None:
    """Each file's settings from UNCOVERED, named with their value; and a consumer that
    reads uncommitted records beside a transactional producer (ConsumerConfig's default
    read_uncommitted returns records of open and aborted transactions)."""
    for f in files:
        for u in UNCOVERED:
            value = u.value(f)
            if value is not None:
                name = f.path.rsplit("/", 1)[-1]
                not_covered.append((f"{u.what} ({name})", f"{u.key}={value}: {u.why}"))
    writers = [f.path.rsplit("/", 1)[-1] for f in files
               if f.role == "producer" and f.values.get("transactional.id", "").strip()]
    for f in files:
        level = f.values.get("isolation.level", "read_uncommitted").strip()
        if writers and f.role == "consumer" and level == "read_uncommitted":
            given = "" if "isolation.level" in f.values else " (Kafka's default)"
            not_covered.append((
                f"reading transactional records ({f.path.rsplit('/', 1)[-1]})",
                f"isolation.level=read_uncommitted{given}: this consumer also receives the "
                f"records of open and aborted transactions of {', '.join(writers)} "
                "(`kafkacheck check txn-read-uncommitted` shows one); set "
                "isolation.level=read_committed"))


# Keys review reads or maps itself, beyond the settings of the models it runs: the
# brokers' topic defaults, their group limits, the consumers' client keys (both checked
# against each other), KRaft or ZooKeeper mode and the voter set.
REVIEW_READS = frozenset({*(broker for _topic, broker in TOPIC_DEFAULTS), *BROKER_KEYS,
                          *CLIENT_KEYS, "process.roles", "zookeeper.connect",
                          "controller.quorum.voters"})
REVIEW_MODELS = ("replication", "controller", "producer", "group", "group-consumer")


def unmodelled(f: ConfigFile, version: versions.Version) -> list[tuple[str, str]]:
    """The file's semantics-changing Kafka settings (model/settings.py says which) that no
    model review runs reads, set away from Kafka's default in this release: (key, text)."""
    reads = REVIEW_READS.union(*(registry.model_class(m).settings for m in REVIEW_MODELS))
    out = []
    for info in f.of_kind("kafka"):
        setting = kafka_settings.lookup(info.key)
        if setting is None or not setting.semantics or info.key in reads:
            continue
        text = f.values[info.key].strip()
        if setting.value_of(text) != kafka_settings.default_for(info.key, version):
            out.append((info.key, text))
    return out


def unmodelled_for(g: Guarantee, version: versions.Version,
                   ) -> list[tuple[ConfigFile, str, str, str]]:
    """The unmodelled settings of the files ``g`` draws on whose semantics (producer,
    consumer, log, controller) are among those its model's settings have: (file, key,
    text, roles).  Such a setting makes the guarantee not covered, never holds."""
    cls = registry.model_class(g.model)
    out = []
    for f in g.sources:
        for key, text in unmodelled(f, version):
            if key in cls.abstracted:
                continue  # its abstraction takes it as given (the replication models' quorum)
            shared = [r for r in kafka_settings.concerned_roles(
                tuple(cls.settings), cls.also_changed_by, key)
                      if r in FILE_SEMANTICS.get(f.role, (r,))]
            if shared:
                out.append((f, key, text, " and ".join(shared)))
    return out


def model_reads(g: Guarantee) -> frozenset[str]:
    """The keys g's model reads under g's bounds: its settings, and for a group model the
    keys its validate_config checks against Kafka's (consumer_config).  The classic group
    model reads its replication settings only with log=replicated (GroupModel.settings,
    ReplicatedLog.REPLICATION_SETTINGS), never run by review."""
    cls = registry.model_class(g.model)
    reads = set(cls.settings)
    if g.model in GROUP_BROKER_KEYS:
        reads |= {*GROUP_BROKER_KEYS[g.model], *CLIENT_KEYS}
    if g.model == "group" and g.bounds.get("log", "abstract") == "abstract":
        from kafkacheck.model.clients.group_log import ReplicatedLog

        reads -= set(ReplicatedLog.REPLICATION_SETTINGS)
    return frozenset(reads)


# Models that read process.roles only as KRaft or ZooKeeper (ReplicationModel.__init__:
# KRaft when it is given), whatever broker value it names.
ROLES_AS_KRAFT = ("replication", "producer")


def _same(key: str, text: str, checked: str) -> bool:
    """Whether a file's value and the one checked are one value to Kafka."""
    if text == checked:
        return True
    if key == "process.roles":  # a set of roles (KafkaConfig.parseProcessRoles)
        return _roles(text) == _roles(checked)
    setting = kafka_settings.lookup(key)
    if setting is None:
        return False
    try:
        return bool(setting.value_of(text) == setting.value_of(checked))
    except ValueError:
        return False


def not_passed_on(g: Guarantee) -> list[tuple[ConfigFile, str, str, str | None]]:
    """Keys a file g draws on gives, that g's model reads, but that g was not checked with
    (absent, or another value): (file, key, text, value checked or None).

    The safety net under review's own mapping: such a key makes the guarantee not covered,
    never silently dropped.  What Kafka itself overrides is not named: a broker default the
    topic sets (LogConfig.fromProps), a topic's replication.factor=-1 (the broker's default),
    a controller-only node's process.roles, a broker key of the same name as a client's
    (the broker's request.timeout.ms) and what review maps on purpose (``g.mapped``, said
    in an assumption).
    """
    reads = model_reads(g)
    topic_of = {broker: topic for topic, broker in TOPIC_DEFAULTS}
    topics = [f for f in g.sources if f.role == "topic"]
    out: list[tuple[ConfigFile, str, str, str | None]] = []
    for f in g.sources:
        for info in f.of_kind("kafka"):
            key, text = info.key, f.values[info.key].strip()
            target = key
            if f.role == "broker" and key in topic_of:  # a topic default (LogConfig)
                target = topic_of[key]
                if any(topic_gives(t.values, target) for t in topics):
                    continue  # the topic's own value wins
                if (key in g.from_controllers) != (not runs_broker(f)):
                    continue  # a broker's value the controllers decide, or a
                    # controller-only node's value they do not (it hosts no replica)
            elif f.role == "topic" and not topic_gives(f.values, key):
                continue  # replication.factor=-1: the broker's default decides
            else:
                setting = kafka_settings.lookup(key)
                scope = setting.scope if setting is not None else (
                    "broker" if key in BROKER_KEYS else
                    "consumer" if key in CLIENT_KEYS else None)
                if scope != f.role:
                    continue  # another setting of the same name (or one no model reads)
            if target not in reads or target in g.mapped:
                continue
            if key == "process.roles":
                if not runs_broker(f) or not gives_roles(f):
                    continue  # a controller-only node's (broker_roles), or empty: the default
                if g.model in ROLES_AS_KRAFT and "process.roles" in g.settings:
                    continue
            if f.role == "broker" and not runs_broker(f) and key in BROKER_KEYS:
                continue  # the group coordinator runs on brokers only (BrokerServer)
            checked = g.settings.get(target)
            if checked is None or not _same(target, text, checked):
                out.append((f, key, text, checked))
    return out


# The semantics a key of a file in this role can change (interceptor.classes is a
# producer and a consumer key; in a consumer file it changes the consumer alone).
FILE_SEMANTICS = {"producer": ("producer",), "consumer": ("consumer",), "topic": ("log",)}
CLIENT_PAIRS = {"producer": "consumer", "consumer": "producer"}


def _other_client_role(files: Sequence[ConfigFile],
                       not_covered: list[tuple[str, str]]) -> None:
    """A file whose role was inferred as a producer (consumer) that also sets keys only a
    consumer (producer) reads: one application's file handed to both clients.  Its other
    client's guarantees are named as not checked unless that role was given too."""
    cat = catalogue.load()
    given = {(f.path, f.role) for f in files}
    for f in files:
        other = CLIENT_PAIRS.get(f.role)
        if other is None or f.why == "named on the command line" or (f.path, other) in given:
            continue
        # (group.id is a Connect worker's key too: what matters is that the other client
        # reads it and this one does not)
        telling = [k for k in f.values
                   if other in cat.roles_of(k) and f.role not in cat.roles_of(k)]
        if telling:
            name = f.path.rsplit("/", 1)[-1]
            not_covered.append((f"{other} guarantees ({name})",
                                f"it also sets {other} keys ({', '.join(telling[:3])}) but "
                                f"was checked as a {f.role}; give {other}:{f.path} as well "
                                f"to check them"))


def _retention_applies(files: Sequence[ConfigFile]) -> bool:
    """Whether some topic file (or, with none, Kafka's defaults) deletes old segments: by
    time unless retention.ms=-1, or by size when retention.bytes (or the broker's
    log.retention.bytes) is set (LogConfig; UnifiedLog.deleteOldSegments)."""
    broker_bytes = (_value(files, "broker", "log.retention.bytes") or "-1").strip()
    topics = [f for f in files if f.role == "topic"] or [None]
    for topic in topics:
        values = topic.values if topic is not None else {}
        policy = values.get("cleanup.policy", "delete").lower()
        ms = values.get("retention.ms", "").strip()
        size = values.get("retention.bytes", broker_bytes).strip()
        if "delete" in policy and (ms != "-1" or size != "-1"):
            return True
    return False


def _replication_fixes(settings: Mapping[str, str], version: versions.Version,
                       power: bool = True) -> list[tuple[str, str]]:
    """Candidate changes for lost acknowledged writes, most direct first (only changes
    that exist in this Kafka release and differ from what is in force)."""
    def value(key: str) -> str:
        return settings.get(key, _default(key, version))

    rf = int(value("replication.factor"))
    out = []
    if value("acks").lower() not in ("all", "-1"):
        out.append(("acks", "all"))
    if rf < 3:
        out.append(("replication.factor", "3"))
    if int(value("min.insync.replicas")) < 2 and rf >= 2:
        out.append(("min.insync.replicas", "2"))
    if value("unclean.leader.election.enable").lower() == "true":
        out.append(("unclean.leader.election.enable", "false"))
    if power:
        elr = "eligible.leader.replicas.version"
        # KIP-966's feature exists from Kafka 4.0 (on by default for clusters from 4.1).
        if version >= (4, 0) and settings.get(elr, _default(elr, version)) != "1":
            out.append((elr, "1"))
        if settings.get("flush.messages", "") != "1":
            out.append(("flush.messages", "1"))
    return out


def _producer_fixes(settings: Mapping[str, str], version: versions.Version,
                    in_effect: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """Candidate changes for duplicates and reordering through retries, against the values
    in force (``in_effect``, producer_in_effect: Kafka 3.0.0 leaves the idempotence default
    unapplied), else those given, else the release's defaults."""
    def value(key: str) -> str:
        if in_effect is not None and key in in_effect:
            return in_effect[key]
        return settings.get(key, _default(key, version))

    out = []
    if value("acks").lower() not in ("all", "-1"):
        out.append(("acks", "all"))
    delivery = value("delivery.timeout.ms")
    if delivery.isdigit() and int(delivery) > 120000:
        # Kafka's default: retries end long before the brokers drop the producer's state
        # (producer.id.expiration.ms, one day by default).
        out.append(("delivery.timeout.ms", "120000"))
    if value("enable.idempotence").lower() != "true":
        out.append(("enable.idempotence", "true"))
    in_flight = value("max.in.flight.requests.per.connection")
    if in_flight.isdigit() and int(in_flight) > 5:
        # The idempotent producer's limit (ProducerConfig: at most 5): it keeps idempotence
        # that a larger value turns off (3.2-3.9) and its pipelining.
        out.append(("max.in.flight.requests.per.connection", "5"))
    if in_flight != "1":
        out.append(("max.in.flight.requests.per.connection", "1"))
    return out


def _consumer_fixes(settings: Mapping[str, str],
                    version: versions.Version | None = None) -> list[tuple[str, str]]:
    version = version or versions.parse(versions.DEFAULT)
    out = []
    if settings.get("auto.offset.reset",
                    _default("auto.offset.reset", version)).lower() != "earliest":
        out.append(("auto.offset.reset", "earliest"))
    return out


# -- running ------------------------------------------------------------------------------

# Where a setting is changed (the role whose file holds it), for the fix's wording.
SETTING_HOME = {
    "acks": "producer", "enable.idempotence": "producer",
    "max.in.flight.requests.per.connection": "producer", "retries": "producer",
    "replication.factor": "topic", "min.insync.replicas": "topic",
    "unclean.leader.election.enable": "topic", "flush.messages": "topic",
    "auto.offset.reset": "consumer", "enable.auto.commit": "consumer",
    "partition.assignment.strategy": "consumer",
    "eligible.leader.replicas.version": "cluster feature",
}


# The keys ProducerConfig and KafkaProducer check against each other.
_PRODUCER_BUILD_KEYS = ("transactional.id", "enable.idempotence", "acks", "retries",
                        "max.in.flight.requests.per.connection", "delivery.timeout.ms",
                        "linger.ms", "request.timeout.ms")


def _refuse_unbuildable_clients(guarantees: Sequence[Guarantee], release: str) -> None:
    """A producer or consumer file the KafkaProducer or KafkaConsumer constructor refuses
    (ConfigException: idempotence with acks=1, a delivery.timeout.ms below linger.ms +
    request.timeout.ms; partition.assignment.strategy under group.protocol=consumer)
    runs nothing: a usage error, as `check` says, before any check runs."""
    for g in guarantees:
        role = {"producer": "producer", "group": "consumer",
                "group-consumer": "consumer"}.get(g.model)
        if role is None:
            continue  # one not covered for another key is still refused: Kafka builds none
        settings = dict(g.settings)
        for f in g.sources:
            if f.role == "producer" == role:
                settings.update(f.own_values(_PRODUCER_BUILD_KEYS))
        try:
            build_config(registry.model_class(g.model), settings=list(settings.items()),
                         bounds=[(k, str(v)) for k, v in g.bounds.items()],
                         kafka_version=release)
        except UsageError as exc:
            if str(exc).startswith("ConfigException"):
                where = next((f.path for f in g.sources if f.role == role),
                             f"the {role} file")
                raise UsageError(f"{where}: Kafka {release} refuses this {role} "
                                 f"configuration: {exc}") from None


def _not_reached(guarantees: Sequence[Guarantee]) -> None:
    """The guarantees Ctrl-C left without a check: named, not covered."""
    for g in guarantees:
        if not g.verdict:
            g.verdict, g.reason = NOT_COVERED, f"the review was {INTERRUPTED} before this check"


def _also_under_failure(g: Guarantee, settings: Mapping[str, str], max_seconds: float,
                        kafka_version: str) -> str | None:
    """Why a HOLDS with ``settings`` rests on a setting no file shows (g.also_under names
    its other value): checked again under that value, the reason it does not hold there,
    or None when it does (or when ``settings`` give that setting themselves)."""
    if not g.also_under or any(k in settings for k in g.also_under):
        return None
    other = ", ".join(f"{k}={v}" for k, v in g.also_under.items())
    try:
        result = _run_check(g, {**settings, **g.also_under}, max_seconds, kafka_version)
    except UsageError as exc:
        return f"{g.also_under_why}; with {other}: {exc}"
    if _interrupted(result):
        raise KeyboardInterrupt  # Ctrl-C stops the review, as in any other check
    verdict, _why = _verdict(result)
    if verdict == HOLDS:
        return None
    if verdict == VIOLATED:
        v = next(v for v in result.violations if v.trace is not None)
        command = " ".join(["kafkacheck check", g.model, *(
            f"--set {k}={val}" for k, val in {**settings, **g.also_under}.items()), *(
            f"--bound {k}={val}" for k, val in g.bounds.items()),
            f"--kafka-version {kafka_version}"])
        return (f"holds only as assumed: {g.also_under_why}; with {other} {v.name} is "
                f"violated (a counterexample of {len(v.trace)} steps: {command})")
    return (f"holds only as assumed: {g.also_under_why}; the check with {other} did not "
            "decide it within the time budget")


def _run_check(g: Guarantee, settings: Mapping[str, str], max_seconds: float,
               kafka_version: str) -> Any:
    """One exhaustive check of the guarantee's properties (the result, or a UsageError).

    It goes through the engine chooser as `check` does, so a property the engine cannot
    check comes back *not checked* (never holds).
    """
    from kafkacheck.explorer.engines import EngineRequest, run_check

    cls = registry.model_class(g.model)
    config = build_config(cls, settings=list(settings.items()),
                          bounds=[(k, str(v)) for k, v in g.bounds.items()],
                          kafka_version=kafka_version)
    request = EngineRequest(max_seconds=max(max_seconds, 0.05), progress_every=0)
    request.validate()
    return run_check(cls(config), list(g.properties), request)


INTERRUPTED = "interrupted (Ctrl-C)"
"""The reason given for a guarantee whose check Ctrl-C stopped (the engines' stop_reason
starts with "interrupted": explorer/bfs.py, dfs.py, parallel.py)."""


def _interrupted(result: Any) -> bool:
    """Whether Ctrl-C cut this result short (not a time budget: more time is no cure)."""
    return not result.complete and str(result.stop_reason).startswith("interrupted")


def _verdict(result: Any) -> tuple[str, str]:
    """holds, violated or not covered (with why) for one check's result.

    A value the model does not cover comes first: the model ran under Kafka's default
    instead, so even a violation found is no verdict for the value in the file.
    """
    if result.uncovered_settings:
        from kafkacheck.explorer.render import not_covered_text

        return NOT_COVERED, (f"the model does not cover {not_covered_text(result)}; it ran "
                             "Kafka's default instead, which is no verdict for this value")
    if any(v.trace is not None for v in result.violations):
        return VIOLATED, ""
    if result.result == "holds":
        never = result.fault_model.never_fired()
        if never:
            # The guarantee names its faults; one that never happened was not checked
            # (replication.factor=1 leaves no replica to move the leader to).
            return NOT_COVERED, f"{never}, so the run says nothing about it"
        return HOLDS, ""
    if result.not_checked:
        why = "; ".join(f"{name}: {reason}" for name, reason in result.not_checked.items())
        return NOT_COVERED, f"not checked by the engine ({why})"
    if _interrupted(result):
        return NOT_COVERED, (f"{INTERRUPTED} after {result.distinct_states:,} states, before "
                             "the check finished")
    if not result.complete:
        return NOT_COVERED, (f"the time budget ran out ({result.stop_reason} after "
                             f"{result.distinct_states:,} states); raise --max-seconds")
    if result.unreached:
        names = ", ".join(v.name for v in result.unreached)
        return NOT_COVERED, (f"never reached: {names} (no state reachable under these "
                             "settings and bounds satisfies it, so the properties resting "
                             "on it could not fail)")
    return NOT_COVERED, f"the run ended {result.result}"


def run(files: Sequence[ConfigFile], max_seconds: float = DEFAULT_MAX_SECONDS,
        fix_search: bool = True, kafka_version: str | None = None) -> Review:
    """Plan, check each guarantee, then search the smallest fix of each violation.

    ``kafka_version`` (default the newest release modelled) picks the rules and defaults.
    """
    try:
        version = versions.parse(versions.DEFAULT if kafka_version is None
                                 else str(kafka_version))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    started = time.monotonic()
    deadline = started + max_seconds
    release = versions.release(str(kafka_version or versions.DEFAULT))
    guarantees, not_covered = plan(files, version, release)
    _refuse_unbuildable_clients(guarantees, release)
    review = Review(list(files), guarantees, not_covered, max_seconds,
                    catalogue_version=catalogue.load().version, kafka_version=release,
                    fix_search=fix_search)
    # Checks first: each gets an equal share of what is left, 60% of it when fix searches
    # come after (time a check leaves unused passes to the next).
    fraction = 0.6 if fix_search else 1.0
    for i, g in enumerate(guarantees):
        if g.verdict:  # decided by the plan (a setting no model covers)
            continue
        share = (deadline - time.monotonic()) * fraction / (len(guarantees) - i)
        t0 = time.monotonic()
        try:
            g.result = _run_check(g, g.settings, share, review.kafka_version)
        except UsageError as exc:
            g.verdict, g.reason = NOT_COVERED, str(exc)
            continue
        except KeyboardInterrupt:  # outside the engine's own loop (building the model)
            review.interrupted = True
        finally:
            g.seconds = time.monotonic() - t0
        if review.interrupted or _interrupted(g.result):
            # Ctrl-C means stop: the guarantees left are named, not checked.
            review.interrupted = True
            if g.result is not None:
                g.verdict, g.reason = _verdict(g.result)
            _not_reached(guarantees[i:])
            break
        g.verdict, g.reason = _verdict(g.result)
        if g.verdict == HOLDS and g.holds_is_no_verdict:
            g.verdict, g.reason = NOT_COVERED, g.holds_is_no_verdict
        if g.verdict == HOLDS and g.also_under:
            try:
                why = _also_under_failure(g, g.settings, (deadline - time.monotonic())
                                          * fraction / (len(guarantees) - i),
                                          review.kafka_version)
            except KeyboardInterrupt:
                review.interrupted = True
                why = f"the review was {INTERRUPTED} in its re-check of an assumption"
                _not_reached(guarantees[i + 1:])
            if why:
                g.verdict, g.reason = NOT_COVERED, why
            if review.interrupted:
                break
    if fix_search and not review.interrupted:
        # The producer's re-checks explore the most states: its searches go last, so the
        # time the others leave passes to them.
        violated = sorted((g for g in guarantees if g.verdict == VIOLATED),
                          key=lambda g: g.model == "producer")
        for i, g in enumerate(violated):
            if not _search_fix(g, deadline, len(violated) - i, review.kafka_version):
                review.interrupted = True
                break
    review.seconds = time.monotonic() - started
    return review


FIX_RUN_SECONDS = 30.0
"""At most this long for one candidate change's re-check (undecided past it, and said).

A candidate that fixes the configuration is explored to the end (no violation stops the
search early), so its re-check takes longer than the check that found the violation:
the producer's acks=all re-check explores about 59,000 states.
"""


def _ran_out_of_time(result: Any) -> bool:
    """Whether a not-covered result is so because its time budget ran out (_verdict's
    order: a value not covered, a property not checked and a violation come first)."""
    return not result.uncovered_settings and not result.not_checked and not result.complete


def _search_fix(g: Guarantee, deadline: float, left: int, kafka_version: str) -> bool:
    """The smallest set of candidate changes under which every property of g holds.

    A candidate whose re-check is cut by the time budget is undecided; one that comes back
    not covered (a value the model does not cover in this release) is kept apart with its
    reason, since more time would not decide it.  Neither is tried again inside a larger
    set.  False when Ctrl-C stopped the search (the review stops there too)."""
    g.fix_search_started = True
    stop = time.monotonic() + (deadline - time.monotonic()) / max(left, 1)
    for size in (1, 2, 3):
        found: list[list[tuple[str, str]]] = []
        for combo in itertools.combinations(g.candidates, size):
            if time.monotonic() > stop:
                g.fix_search_cut = True
                return True
            keys = [k for k, _ in combo]
            if len(set(keys)) < len(keys):
                continue
            settings = {**g.settings, **dict(combo)}
            if any(set(combo) > set(fix)
                   for fix in [*g.undecided, *(c for c, _why in g.uncovered_fixes)]):
                continue
            try:
                result = _run_check(g, settings, min(stop - time.monotonic(), FIX_RUN_SECONDS),
                                    kafka_version)
            except UsageError:
                continue  # Kafka would reject this combination
            except KeyboardInterrupt:
                g.fix_search_cut = True
                return False
            if _interrupted(result):
                g.fix_search_cut = True
                return False
            g.fix_searched += 1
            verdict, why = _verdict(result)
            if verdict == HOLDS:
                # a fix that holds only under an assumed feature level is no fix
                try:
                    assumed = _also_under_failure(g, settings, min(
                        stop - time.monotonic(), FIX_RUN_SECONDS), kafka_version)
                except KeyboardInterrupt:
                    g.fix_search_cut = True
                    return False
                if assumed:
                    g.conditional_fixes.append((list(combo), assumed))
                else:
                    found.append(list(combo))
            elif verdict != VIOLATED:
                if _ran_out_of_time(result):
                    g.undecided.append(list(combo))
                else:
                    g.uncovered_fixes.append((list(combo), why))
        if found:
            g.fix, g.other_fixes = found[0], found[1:]
            return True
    return True


# -- output -------------------------------------------------------------------------------


def _fix_text(changes: Sequence[tuple[str, str]]) -> str:
    parts = []
    for key, value in changes:
        home = SETTING_HOME.get(key, "")
        where = " (a cluster feature: kafka-features.sh upgrade --feature ...)" \
            if home == "cluster feature" else f" in the {home} configuration" if home else ""
        parts.append(f"{key}={value}{where}")
    return " and ".join(parts)


def _bounds_text(g: Guarantee) -> str:
    """The bounds that shape the run (zero fault budgets are listed as 'not explored')."""
    if g.result is None:
        return ""
    bound = g.result.model.bound
    return ", ".join(f"{k}={v}" for k, v in bound.items()
                     if k in g.bounds or v not in (0, "none"))


def _effective_lines(g: Guarantee) -> list[str]:
    from kafkacheck.config import overridden_settings

    if g.result is None:
        return []
    model = g.result.model
    shown = ", ".join(f"{k}={v}" for k, v in model.config.kafka_text().items()
                      if k in g.settings or k in model.key_settings)
    lines = [f"settings: {shown}"]
    for key, (given, eff) in overridden_settings(model).items():
        how = "given" if key in model.config.explicit else "default"
        lines.append(f"in effect: {key}={eff} ({how}: {given})")
    return lines


def text(review: Review) -> str:
    """The review for a terminal."""
    from kafkacheck.explorer.render import trace_lines

    out = [f"kafkacheck review: {len(review.files)} file(s), rules and defaults of Kafka "
           f"{review.kafka_version}, Kafka {review.catalogue_version} configuration catalogue"]
    for f in review.files:
        counts = _key_counts(f)
        role = (f"{f.role} file of a controller-only node (process.roles="
                f"{f.values['process.roles'].strip()}: no replica, no group coordinator)"
                if f.role == "broker" and not runs_broker(f) else f.role)
        out.append(f"  {f.path}: {role} ({f.why}); {counts}")
        for info in f.of_kind("misplaced"):
            out.append(f"    note: {info.key} is a {'/'.join(info.roles)} setting: a "
                       f"{f.role} ignores it")
        zookeeper = f.of_kind("zookeeper")
        if zookeeper:
            out.append(f"    accepted, not checked: {', '.join(i.key for i in zookeeper)} "
                       f"({zookeeper[0].detail})")
        third = f.of_kind("third-party")
        if third:
            vendors = sorted({i.detail for i in third})
            out.append(f"    accepted, not checked: {', '.join(i.key for i in third)} "
                       f"({'; '.join(vendors)})")
    out.append("")
    notes_shown: set[str] = set()
    for g in review.guarantees:
        mark = {HOLDS: "HOLDS", VIOLATED: "VIOLATED"}.get(g.verdict, "NOT COVERED")
        out.append(f"[{mark}] {g.title}")
        if g.verdict == NOT_COVERED and g.result is None:
            out.append(f"    not covered: {g.reason}")
            out.append("")
            continue
        r = g.result
        out.append(f"    checked: {g.model} model, {', '.join(g.properties)}; "
                   f"bounds {_bounds_text(g)}; {r.distinct_states:,} states, "
                   f"{g.seconds:.1f}s")
        out.append(f"    {r.fault_model.text()}")
        for line in _effective_lines(g):
            out.append(f"    {line}")
        for note in r.model.notes():
            if note not in notes_shown:  # a model's note once per review, at its first use
                notes_shown.add(note)
                out.append(f"    note: {note}")
        for note in g.assumptions:
            out.append(f"    assumed: {note}")
        if g.verdict == NOT_COVERED:
            out.append(f"    not covered: {g.reason}")
        if g.verdict == VIOLATED:
            v = next(v for v in r.violations if v.trace is not None)
            out.append(f"    {v.name} violated: shortest counterexample, {len(v.trace)} steps")
            out.extend(f"    {line}" for line in trace_lines(r.model, v.trace))
            story = v.property.story(r.model, v.trace)
            if story:
                out.append(f"    why: {story}")
            if g.fix is not None:
                out.append(f"    fix: set {_fix_text(g.fix)} (re-checked: holds within the "
                           "same bounds)")
                for alt in g.other_fixes:
                    out.append(f"    or:  set {_fix_text(alt)}")
            elif not g.fix_search_started:
                out.append("    fix: not searched ("
                           + ("--no-fix)" if not review.fix_search
                              else f"the review was {INTERRUPTED} first)"))
            else:
                cut = (f" before it was {INTERRUPTED}" if review.interrupted
                       else f" before the time budget ran out (its share of --max-seconds "
                       f"{review.budget:g}); the search did not end: rerun with a larger "
                       "--max-seconds to try every candidate")
                out.append(f"    fix: none found among {g.fix_searched} candidate change(s)"
                           + (cut if g.fix_search_cut else ""))
            for combo in g.undecided:
                out.append(f"    undecided: {_fix_text(combo)} (its re-check did not finish "
                           "within the time budget)")
            for combo, why in g.uncovered_fixes:
                out.append(f"    not covered: {_fix_text(combo)} (its re-check: {why})")
            for combo, why in g.conditional_fixes:
                out.append(f"    only as assumed: {_fix_text(combo)} (its re-check {why})")
        out.append("")
    for what, why in review.not_covered:
        out.append(f"[NOT COVERED] {what}: {why}")
    if review.not_covered:
        out.append("")
    counts = {k: sum(g.verdict == k for g in review.guarantees)
              for k in (HOLDS, VIOLATED, NOT_COVERED)}
    counts[NOT_COVERED] += len(review.not_covered)
    stopped = f"; {INTERRUPTED}: stopped there" if review.interrupted else ""
    out.append(f"{counts[HOLDS]} hold, {counts[VIOLATED]} violated, {counts[NOT_COVERED]} not "
               f"covered ({review.seconds:.1f}s of a {review.budget:g}s budget{stopped})")
    return "\n".join(out)


def _key_counts(f: ConfigFile) -> str:
    kinds = [("kafka", "Kafka"), ("kafka-prefix", "Kafka prefixed"),
             ("zookeeper", "ZooKeeper-mode"), ("third-party", "third-party"),
             ("misplaced", "other roles'"), ("connector-specific", "connector-specific"),
             ("older-release", "not catalogued")]
    parts = []
    for kind, label in kinds:
        n = len(f.of_kind(kind))
        if n:
            parts.append(f"{n} {label}")
    return f"{len(f.keys)} keys ({', '.join(parts) or 'none'})"


def as_json(review: Review) -> dict[str, Any]:
    """The review as JSON (the shape CI jobs read)."""
    from kafkacheck.config import overridden_settings
    from kafkacheck.explorer.render import trace_json

    files = [{"path": f.path, "role": f.role, "why": f.why,
              "keys": {i.key: {"kind": i.kind, **({"detail": i.detail} if i.detail else {}),
                               **({"roles": list(i.roles)} if i.roles else {})}
                       for i in f.keys}} for f in review.files]
    guarantees = []
    for g in review.guarantees:
        entry: dict[str, Any] = {"id": g.key, "title": g.title, "verdict": g.verdict,
                                 "model": g.model, "properties": list(g.properties),
                                 "assumptions": g.assumptions}
        if g.reason:
            entry["reason"] = g.reason
        r = g.result
        if r is not None:
            model = r.model
            entry.update({
                "bounds": dict(model.config.bounds),
                "fault_model": r.fault_model.as_json(),
                "notes": model.notes(),
                "not_checked": r.unchecked(),
                "settings_given": dict(g.settings),
                "settings": model.config.kafka_text(),
                "effective_settings": {**model.config.kafka_text(), **{
                    k: eff for k, (_g, eff) in overridden_settings(model).items()}},
                "distinct_states": r.distinct_states, "complete": r.complete,
                "seconds": round(g.seconds, 3),
            })
            if g.verdict == VIOLATED:
                v = next(v for v in r.violations if v.trace is not None)
                entry["counterexample"] = {"property": v.name, "length": len(v.trace),
                                           "explanation": v.property.story(model, v.trace),
                                           "trace": trace_json(model, v.trace)}
                entry["fix"] = None if g.fix is None else dict(g.fix)
                # false (--no-fix, or Ctrl-C first): a null fix is no answer about fixes
                entry["fix_searched"] = g.fix_search_started
                entry["other_fixes"] = [dict(f) for f in g.other_fixes]
                entry["fix_candidates_run"] = g.fix_searched
                entry["fix_search_cut"] = g.fix_search_cut  # the budget ended it, not the search
                entry["undecided_fixes"] = [dict(f) for f in g.undecided]
                entry["not_covered_fixes"] = [{"changes": dict(f), "reason": why}
                                              for f, why in g.uncovered_fixes]
                entry["conditional_fixes"] = [{"changes": dict(f), "reason": why}
                                              for f, why in g.conditional_fixes]
        guarantees.append(entry)
    return {"kafkacheck_review": 1, "kafka_version": review.kafka_version,
            "kafka_catalogue": review.catalogue_version,
            "files": files, "guarantees": guarantees,
            "not_covered": [{"what": w, "why": y} for w, y in review.not_covered],
            "seconds": round(review.seconds, 2), "budget_seconds": review.budget,
            "fix_searched": review.fix_search, "interrupted": review.interrupted,
            "exit_code": review.exit_code}


def markdown(review: Review) -> str:
    """The review as a pull-request comment (GitHub Markdown, Mermaid diagrams)."""
    from kafkacheck.explorer.render import mermaid, trace_lines

    icon = {HOLDS: "✅ holds", VIOLATED: "❌ violated", NOT_COVERED: "⚪ not covered"}
    out = ["### kafkacheck review", "",
           "| file | role | keys |", "|---|---|---|"]
    for f in review.files:
        out.append(f"| `{f.path}` | {f.role} | {_key_counts(f)} |")
    out += ["", "| guarantee | verdict | checked |", "|---|---|---|"]
    for g in review.guarantees:
        checked = (f"{g.model}: bounds {_bounds_text(g)}; "
                   f"{g.result.fault_model.text()}" if g.result is not None else g.reason)
        if g.result is not None and g.verdict == NOT_COVERED:  # why it ran and is no verdict
            checked += f"<br>not covered: {g.reason}"
        if g.assumptions:
            checked += "<br>assumed: " + "; ".join(g.assumptions)
        out.append(f"| {g.title} | {icon.get(g.verdict, g.verdict)} | {checked} |")
    for what, why in review.not_covered:
        out.append(f"| {what} | {icon[NOT_COVERED]} | {why} |")
    for g in review.guarantees:
        if g.verdict != VIOLATED:
            continue
        r = g.result
        v = next(v for v in r.violations if v.trace is not None)
        out += ["", f"#### ❌ {g.title}", ""]
        if g.fix is not None:
            out.append(f"**Fix:** set {_fix_text(g.fix)} (re-checked: holds within the same "
                       "bounds).")
            for alt in g.other_fixes:
                out.append(f"Or: set {_fix_text(alt)}.")
        story = v.property.story(r.model, v.trace)
        if story:
            out += ["", story]
        out += ["", "<details><summary>shortest counterexample "
                f"({len(v.trace)} steps)</summary>", "", "```text",
                *trace_lines(r.model, v.trace), "```", "", "```mermaid",
                mermaid(r.model, v.trace, f"{v.name} violated"), "```", "", "</details>"]
    out += ["", f"_kafkacheck review, rules and defaults of Kafka {review.kafka_version}, "
                f"Kafka {review.catalogue_version} catalogue, "
                f"{review.seconds:.0f}s; holds means within the bounds and faults shown._"]
    return "\n".join(out)
