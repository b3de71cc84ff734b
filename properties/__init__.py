"""Named guarantees (always / sometimes / eventually) checked by every engine."""
