"""Entrypoints: HTTP, worker and command line."""
