"""The migrations on a real SQLite file: revision 0002 names the tests already stored by their
digest (a server upgraded in place judges its old problems by reference)."""

from __future__ import annotations

import hashlib

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from codearena.platform_app.db import MIGRATIONS, migrate


def test_0002_backfills_the_digests_of_tests_already_stored(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/old.db")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(text("INSERT INTO problems (id, slug, title, statement, time_limit, memory_limit, checker, "
                                "created_at, updated_at) VALUES (1, 's', 't', '', 1, 256, '{}', "
                                "'2026-01-01', '2026-01-01')"))
        connection.execute(text("INSERT INTO problem_tests (problem_id, position, name, input, expected, is_sample) "
                                "VALUES (1, 0, '1', :input, :expected, 0)"), {"input": b"\xff" * 100, "expected": b"ok"})
    migrate(engine)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT input_sha256, expected_sha256, data_bytes FROM problem_tests")).one()
    assert row == (hashlib.sha256(b"\xff" * 100).hexdigest(), hashlib.sha256(b"ok").hexdigest(), 100)
