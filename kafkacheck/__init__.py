"""kafkacheck: a model checker and property-test suite for Apache Kafka's semantics."""

__version__ = "0.1.0"
