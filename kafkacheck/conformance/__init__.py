"""Run a real Kafka cluster and check Jepsen-style histories against it."""
