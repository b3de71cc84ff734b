"""kafkacheck: a model checker and property-test suite for Apache Kafka's semantics."""

from kafkacheck import compiled as _compiled

__version__ = "0.1.0"

# A compiled module is used only while its source is the one it was built from.
_compiled.install()
