"""Where each model lives, by the name users type (``kafkacheck check NAME``)."""

from __future__ import annotations

import importlib

from kafkacheck.model.interface import Model

# name -> "module:Class" inside kafkacheck.model; imported on first use.
MODELS: dict[str, str] = {
    "replication": "cluster.replication:ReplicationModel",
    "kafka-spec": "reference.replication_spec:KafkaSpecModel",
    "kip848-spec": "reference.kip848_spec:Kip848SpecModel",
    "controller": "cluster.controller:ControllerModel",
    "producer": "clients.producer:ProducerModel",
    "group": "clients.group:GroupModel",
    "group-consumer": "clients.group_consumer:ConsumerProtocolGroupModel",
    "transactions": "clients.transactions:TransactionsModel",
    "streams": "clients.streams:StreamsModel",
    "sink": "clients.sink:SinkModel",
    "source": "clients.source:SourceModel",
    "diehard": "textbook.diehard:DieHard",
    "twophase": "textbook.twophase:TwoPhaseCommit",
}


def available() -> list[str]:
    """Names of the models that can be loaded in this installation."""
    names = []
    for name in MODELS:
        try:
            model_class(name)
        except ImportError:
            continue
        names.append(name)
    return names


def model_class(name: str) -> type[Model]:
    """The model class registered as ``name`` (KeyError if unknown)."""
    module_name, _, class_name = MODELS[name].partition(":")
    module = importlib.import_module(f"kafkacheck.model.{module_name}")
    return getattr(module, class_name)
