"""Identity layer: beneficiary, beneficiary_crosswalk, beneficiary_change, match_pair, review_item,
link_constraint, linkage_run.

Frozen DDL: the tables as the models described them when this revision was written (commit 27ecff0),
written out literally; a later model change reaches a database only through a later revision. The
check constraints keep the doubled names the naming convention gave them when this revision first ran.

Revision ID: 0004_identity
Revises: 0003_staging
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_identity"
down_revision = "0003_staging"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

TABLES = (
    "beneficiary",
    "beneficiary_crosswalk",
    "beneficiary_change",
    "match_pair",
    "review_item",
    "link_constraint",
    "linkage_run",
)


def upgrade() -> None:
    op.create_table(
        "beneficiary",
        sa.Column("beneficiary_id", sa.String(24), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("merged_into", sa.String(24)),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("created_run_id", sa.Integer(), nullable=False),
        sa.Column("updated_run_id", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("beneficiary_id", name=op.f("pk_beneficiary")),
        sa.CheckConstraint(
            "status IN ('active', 'merged', 'retired')", name=op.f("ck_beneficiary_ck_beneficiary_status")
        ),
        sa.ForeignKeyConstraint(
            ["created_run_id"], ["pipeline_run.run_id"], name=op.f("fk_beneficiary_created_run_id_pipeline_run")
        ),
        sa.ForeignKeyConstraint(
            ["updated_run_id"], ["pipeline_run.run_id"], name=op.f("fk_beneficiary_updated_run_id_pipeline_run")
        ),
    )
    op.create_table(
        "beneficiary_crosswalk",
        sa.Column("source_system", sa.String(20), nullable=False),
        sa.Column("source_person_id", sa.String(64), nullable=False),
        sa.Column("beneficiary_id", sa.String(24), nullable=False),
        sa.Column("match_probability", sa.Float()),
        sa.Column("linked_run_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("source_system", "source_person_id", name=op.f("pk_beneficiary_crosswalk")),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["beneficiary.beneficiary_id"],
            name=op.f("fk_beneficiary_crosswalk_beneficiary_id_beneficiary"),
        ),
        sa.ForeignKeyConstraint(
            ["linked_run_id"], ["pipeline_run.run_id"], name=op.f("fk_beneficiary_crosswalk_linked_run_id_pipeline_run")
        ),
    )
    op.create_index(op.f("ix_beneficiary_crosswalk_beneficiary_id"), "beneficiary_crosswalk", ["beneficiary_id"])
    op.create_table(
        "beneficiary_change",
        sa.Column("seq", BIGID, nullable=False),
        sa.Column("beneficiary_id", sa.String(24), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("merged_into", sa.String(24)),
        sa.Column("related_ids", JSON_DOC),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_beneficiary_change")),
        sa.ForeignKeyConstraint(
            ["run_id"], ["pipeline_run.run_id"], name=op.f("fk_beneficiary_change_run_id_pipeline_run")
        ),
    )
    op.create_index(op.f("ix_beneficiary_change_beneficiary_id"), "beneficiary_change", ["beneficiary_id"])
    op.create_table(
        "match_pair",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("left_system", sa.String(20), nullable=False),
        sa.Column("left_id", sa.String(64), nullable=False),
        sa.Column("right_system", sa.String(20), nullable=False),
        sa.Column("right_id", sa.String(64), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("decision", sa.String(12), nullable=False),
        sa.Column("levels", JSON_DOC, nullable=False),
        sa.PrimaryKeyConstraint(
            "run_id", "left_system", "left_id", "right_system", "right_id", name=op.f("pk_match_pair")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["pipeline_run.run_id"], name=op.f("fk_match_pair_run_id_pipeline_run")),
    )
    op.create_table(
        "review_item",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("left_system", sa.String(20), nullable=False),
        sa.Column("left_id", sa.String(64), nullable=False),
        sa.Column("right_system", sa.String(20), nullable=False),
        sa.Column("right_id", sa.String(64), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("evidence", JSON_DOC, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_run_id", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.String(100)),
        sa.Column("decided_at", TIMESTAMP),
        sa.Column("note", sa.Text()),
        sa.PrimaryKeyConstraint("review_id", name=op.f("pk_review_item")),
        sa.ForeignKeyConstraint(
            ["created_run_id"], ["pipeline_run.run_id"], name=op.f("fk_review_item_created_run_id_pipeline_run")
        ),
    )
    op.create_index(op.f("ix_review_item_status"), "review_item", ["status"])
    op.create_table(
        "link_constraint",
        sa.Column("constraint_id", sa.Integer(), nullable=False),
        sa.Column("left_system", sa.String(20), nullable=False),
        sa.Column("left_id", sa.String(64), nullable=False),
        sa.Column("right_system", sa.String(20), nullable=False),
        sa.Column("right_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("review_id", sa.Integer()),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_by", sa.String(100)),
        sa.Column("revoked_at", TIMESTAMP),
        sa.PrimaryKeyConstraint("constraint_id", name=op.f("pk_link_constraint")),
        sa.CheckConstraint(
            "kind IN ('must_link', 'cannot_link')", name=op.f("ck_link_constraint_ck_link_constraint_kind")
        ),
    )
    op.create_table(
        "linkage_run",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(12), nullable=False),
        sa.Column("settings", JSON_DOC, nullable=False),
        sa.Column("model", JSON_DOC, nullable=False),
        sa.Column("metrics", JSON_DOC),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_linkage_run")),
        sa.ForeignKeyConstraint(["run_id"], ["pipeline_run.run_id"], name=op.f("fk_linkage_run_run_id_pipeline_run")),
    )


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
