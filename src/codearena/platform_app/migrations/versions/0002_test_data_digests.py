"""problem tests named by digest: input_sha256, expected_sha256, data_bytes

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 23:30:00
"""
import hashlib

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('problem_tests') as batch:
        batch.add_column(sa.Column('input_sha256', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('expected_sha256', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('data_bytes', sa.Integer(), nullable=True))
    connection = op.get_bind()
    tests = sa.table('problem_tests', sa.column('id', sa.Integer), sa.column('input', sa.LargeBinary),
                     sa.column('expected', sa.LargeBinary), sa.column('input_sha256', sa.String),
                     sa.column('expected_sha256', sa.String), sa.column('data_bytes', sa.Integer))
    for row in connection.execute(sa.select(tests.c.id, tests.c.input, tests.c.expected)).all():
        connection.execute(tests.update().where(tests.c.id == row.id).values(
            input_sha256=hashlib.sha256(row.input).hexdigest(), expected_sha256=hashlib.sha256(row.expected).hexdigest(),
            data_bytes=max(len(row.input), len(row.expected))))
    with op.batch_alter_table('problem_tests') as batch:
        batch.alter_column('input_sha256', existing_type=sa.String(length=64), nullable=False)
        batch.alter_column('expected_sha256', existing_type=sa.String(length=64), nullable=False)
        batch.alter_column('data_bytes', existing_type=sa.Integer(), nullable=False)
        batch.create_index('ix_problem_tests_input_sha256', ['input_sha256'])
        batch.create_index('ix_problem_tests_expected_sha256', ['expected_sha256'])


def downgrade() -> None:
    with op.batch_alter_table('problem_tests') as batch:
        batch.drop_index('ix_problem_tests_expected_sha256')
        batch.drop_index('ix_problem_tests_input_sha256')
        batch.drop_column('data_bytes')
        batch.drop_column('expected_sha256')
        batch.drop_column('input_sha256')
