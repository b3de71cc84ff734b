"""The cluster side: the partition component and the models that compose it.

Replication (brokers, ISR, high watermark, elections) and the KRaft controller.
"""
