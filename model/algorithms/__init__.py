"""Kafka's deterministic client algorithms: partitioners, assignors, Java hashing.

Pure functions, checked against vectors taken from Kafka's own classes.
"""
