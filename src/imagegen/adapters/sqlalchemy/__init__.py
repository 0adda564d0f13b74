"""Persistence on SQLite, MariaDB/MySQL and PostgreSQL through SQLAlchemy Core."""
