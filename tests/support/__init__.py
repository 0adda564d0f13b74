"""Pytest plugins that start the real services the tests talk to."""
