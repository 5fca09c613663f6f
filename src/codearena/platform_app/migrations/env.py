"""Alembic environment: migrations run on the connection the server hands over (db.migrate)."""

from alembic import context
from sqlalchemy import create_engine

from codearena.platform_app.models import Base

config = context.config
target_metadata = Base.metadata

connection = config.attributes.get("connection")
if connection is None:  # `alembic` run by hand with -x url=...
    url = context.get_x_argument(as_dictionary=True).get("url")
    from codearena.platform_app.db import normalize_database_url

    engine = create_engine(normalize_database_url(url))
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    context.run_migrations()
