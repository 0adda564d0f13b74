"""Fixtures shared by every tier; the service fixtures live in tests/support."""

pytest_plugins = [
    "tests.support.databases",
    "tests.support.s3",
    "tests.support.api",
    "tests.support.redis_server",
    "tests.support.pusher_server",
    "tests.support.openai_server",
]
