"""Engines made by make_engine, and the readiness ping."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from imagegen.adapters.sqlalchemy.engine import make_engine, ping


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def pragma(engine: Engine, name: str) -> object:
    with engine.connect() as connection:
        return connection.exec_driver_sql(f"PRAGMA {name}").scalar_one()


def test_ping_answers_on_every_database(migrated_engine: Engine) -> None:
    ping(migrated_engine)


def test_ping_raises_when_the_database_cannot_be_opened(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    engine = make_engine(sqlite_url(tmp_path / "a-file" / "imagegen.sqlite"))

    with pytest.raises(OperationalError):
        ping(engine)


def test_a_missing_sqlite_folder_is_created(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "var" / "data" / "imagegen.sqlite"))

    ping(engine)

    assert (tmp_path / "var" / "data" / "imagegen.sqlite").exists()


def test_sqlite_file_database_writes_ahead_and_enforces_foreign_keys(
    tmp_path: Path,
) -> None:
    engine = make_engine(sqlite_url(tmp_path / "imagegen.sqlite"))

    journal, foreign_keys = (
        pragma(engine, "journal_mode"),
        pragma(engine, "foreign_keys"),
    )

    assert (journal, foreign_keys) == ("wal", 1)
    engine.dispose()


def test_sqlite_engine_for_migrations_leaves_foreign_keys_off(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "x.sqlite"), sqlite_foreign_keys=False)

    assert pragma(engine, "foreign_keys") == 0
    engine.dispose()


def test_sqlite_transaction_rolls_back_what_a_released_savepoint_wrote(
    tmp_path: Path,
) -> None:
    engine = make_engine(sqlite_url(tmp_path / "imagegen.sqlite"))
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")

    with engine.connect() as connection:
        with connection.begin_nested():
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        connection.rollback()

    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM t").scalar_one() == 0
    engine.dispose()
