"""What reaches a Connect task's Kafka clients: the worker's ``consumer.``/``producer.``
keys, then the connector's ``consumer.override.``/``producer.override.`` keys (KIP-458,
from 2.3), where the worker's connector.client.config.override.policy lets them through
(``None`` by default before 3.0, ``All`` from 3.0: KIP-722)."""

from __future__ import annotations

from typing import Any

from kafkacheck.config import Config

OVERRIDE_PREFIXES = ("producer.override.", "consumer.override.", "admin.override.")
POLICY = "connector.client.config.override.policy"
# PrincipalConnectorClientConfigOverridePolicy.ALLOWED_CONFIG.
PRINCIPAL_ALLOWED = frozenset({"sasl.jaas.config", "sasl.mechanism", "security.protocol"})
_POLICY_PACKAGE = "org.apache.kafka.connect.connector.policy."


def overrides_exist(version: tuple[int, int]) -> bool:
    """KIP-458 (2.3): before it a connector's ``*.override.*`` keys are unknown, unused."""
    return version >= (2, 3)


def override_ignored(key: str, version: tuple[int, int]) -> bool:
    """A connector's ``*.override.*`` key in a release before KIP-458: the worker ignores it."""
    return ".override." in key and not overrides_exist(version)


class ConnectTaskClients:
    """The Connect models' reading of their tasks' client keys (a mixin of the model)."""

    @classmethod
    def client_key_ignored(cls, key: str, version: tuple[int, int]) -> bool:
        """A connector's *.override.* keys before KIP-458 (2.3): unknown, unused."""
        return override_ignored(key, version)


def policy_alias(text: str) -> str:
    """A policy as its alias: None, All, Principal, or the class named."""
    name = text.strip()
    if name.startswith(_POLICY_PACKAGE) and name.endswith("ConnectorClientConfigOverridePolicy"):
        name = name[len(_POLICY_PACKAGE):-len("ConnectorClientConfigOverridePolicy")]
    return name


def override_policy(config: Config) -> str:
    """The worker's policy by its alias (WorkerConfig.CONNECTOR_CLIENT_POLICY_CLASS_DEFAULT:
    None before 3.0, All from 3.0)."""
    given = config.setting(POLICY)
    if given is None:
        return "All" if config.version >= (3, 0) else "None"
    return policy_alias(str(given))


def refuses_override(policy: str, key: str) -> bool:
    """Whether the built-in ``policy`` (an alias) refuses the override of client ``key``:
    None refuses every one, Principal all but its ALLOWED_CONFIG, Allowlist (4.2) all but
    those its worker list names, empty by default (the catalogue has no such key, so here
    always empty: AllowlistConnectorClientConfigOverridePolicy)."""
    return policy in ("None", "Allowlist") or (policy == "Principal"
                                               and key not in PRINCIPAL_ALLOWED)


def override_problem(config: Config) -> str | None:
    """Why the worker refuses the connector for the override keys given, if it does
    (AbstractHerder.validateClientOverrides: the connector is never created)."""
    if not overrides_exist(config.version):
        return None
    policy = override_policy(config)
    if policy == "Allowlist" and config.version < (4, 2):
        return (f"{POLICY}=Allowlist: Kafka {config.kafka_version} has no such policy (it "
                "arrived in 4.2), so the worker fails to load it and does not start")
    for key in sorted(config.explicit):
        prefix = next((p for p in OVERRIDE_PREFIXES if key.startswith(p)), None)
        if prefix is None or not refuses_override(policy, key[len(prefix):]):
            continue
        default = " (its default before 3.0, KIP-722)" if config.setting(POLICY) is None else ""
        return (f"{key}: the worker's {POLICY}={policy}{default} does not allow this "
                "override, so creating the connector fails; give it as a worker key "
                f"({key.replace('.override.', '.', 1)}) or allow overrides ({POLICY}=All)")
    return None


def task_client_value(config: Config, client: str, name: str) -> Any:
    """The value of client setting ``name`` a task's ``client`` (producer, consumer) runs
    with when the worker or the connector gives one (the connector's override wins,
    Worker.baseConsumerConfigs / baseProducerConfigs), else None."""
    value = None
    prefixes = [f"{client}."] + ([f"{client}.override."]
                                 if overrides_exist(config.version) else [])
    for prefix in prefixes:
        if prefix + name in config.not_modelled:
            value = config.not_modelled[prefix + name]
    return value
