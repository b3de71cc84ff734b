"""The Kafka state-machine models and the model interface every engine drives."""
