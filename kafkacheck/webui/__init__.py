"""The browser explorer behind ``kafkacheck explore``: a local web page over one model.

It stands in a state, draws it in Kafka's terms, offers the enabled actions, evaluates
the properties on the current state, loads counterexamples and searches from the current
state with the breadth-first engine.  It reads models only through their public interface
(``view``, ``format_value``, ``properties``, ``successors``, ``message``, action labels).
"""
