"""The migrations on a real SQLite file: revision 0002 names the tests already stored by their
digest (a server upgraded in place judges its old problems by reference); 0003 moves their data
columns last."""

from __future__ import annotations

import hashlib

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from codearena.platform_app.db import MIGRATIONS, migrate


def _database_at(tmp_path, revision: str, test_row: str, data: dict):
    """A SQLite file migrated up to `revision`, holding problem 1 and one test (`test_row`: its
    INSERT, with the data as parameters)."""
    engine = create_engine(f"sqlite:///{tmp_path}/old.db")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.execute(text("INSERT INTO problems (id, slug, title, statement, time_limit, memory_limit, checker, "
                                "created_at, updated_at) VALUES (1, 's', 't', '', 1, 256, '{}', "
                                "'2026-01-01', '2026-01-01')"))
        connection.execute(text(test_row), data)
    return engine


def test_0002_backfills_the_digests_of_tests_already_stored(tmp_path):
    engine = _database_at(tmp_path, "0001", "INSERT INTO problem_tests (problem_id, position, name, input, expected, "
                          "is_sample) VALUES (1, 0, '1', :input, :expected, 0)", {"input": b"\xff" * 100, "expected": b"ok"})
    migrate(engine)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT input_sha256, expected_sha256, data_bytes FROM problem_tests")).one()
    assert row == (hashlib.sha256(b"\xff" * 100).hexdigest(), hashlib.sha256(b"ok").hexdigest(), 100)


def test_0003_puts_the_test_data_last_and_keeps_every_row_index_and_cascade(tmp_path):
    """SQLite walks a big value's pages to reach the columns after it: the data columns move last."""
    engine = _database_at(tmp_path, "0002", "INSERT INTO problem_tests (problem_id, position, name, input, expected, "
                          "is_sample, input_sha256, expected_sha256, data_bytes) VALUES (1, 0, '1', :input, :expected, "
                          "0, 'a', 'b', 3)", {"input": b"\xff\x00\x01", "expected": b"ok"})
    migrate(engine)
    with engine.begin() as connection:
        columns = [row[1] for row in connection.execute(text("PRAGMA table_info(problem_tests)"))]
        indexes = {row[1] for row in connection.execute(text("PRAGMA index_list(problem_tests)"))}
        row = connection.execute(text("SELECT name, input, expected, input_sha256, data_bytes FROM problem_tests")).one()
        cascade = [row[6] for row in connection.execute(text("PRAGMA foreign_key_list(problem_tests)"))]
        connection.execute(text("PRAGMA foreign_keys=ON"))
        connection.execute(text("DELETE FROM problems"))
        left = connection.execute(text("SELECT count(*) FROM problem_tests")).scalar()
    assert columns[-2:] == ["input", "expected"] and len(columns) == 11
    assert tuple(row) == ("1", b"\xff\x00\x01", b"ok", "a", 3)
    assert {"ix_problem_tests_problem_id", "ix_problem_tests_input_sha256", "ix_problem_tests_expected_sha256"} <= indexes
    assert cascade == ["CASCADE"] and left == 0
