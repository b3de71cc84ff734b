"""Textbook models pinned against TLC's numbers: engine self-tests."""
