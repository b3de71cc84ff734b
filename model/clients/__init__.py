"""Client-side models: producer, consumer groups, composed with the cluster's partitions."""
