"""problem tests' data columns last (SQLite)

SQLite stores a row's columns in order, and a big value's overflow pages are a chain: reading any
column after `input` and `expected` walked through both blobs. Loading a problem's tests (their
names, digests and sizes, for each submission) cost 11.7 ms of CPU for 5 tests of 2-11 MB, 0.2 ms
for the columns before the blobs. PostgreSQL keeps big values out of line (TOAST): unchanged.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 02:30:00
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

ORDER = ('id', 'problem_id', 'position', 'name', 'is_sample', 'points', 'input_sha256', 'expected_sha256',
         'data_bytes', 'input', 'expected')


def upgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    with op.batch_alter_table('problem_tests', recreate='always', partial_reordering=[ORDER]):
        pass


def downgrade() -> None:
    pass  # the order changes no query's meaning
