"""Identity layer: beneficiaries, the crosswalk (fixed name), the change feed, pair decisions, reviews, constraints.

`beneficiary_crosswalk` has one row per source person record currently known, mapping it to a
stable `beneficiary_id`. A merge retires the absorbed id with `merged_into`; every change is an
entry of `beneficiary_change`, which the read API serves as its change feed.
"""

from __future__ import annotations

import sqlalchemy as sa

from warehouse.models.base import Base
from warehouse.types import JSONDoc, UTCDateTime

BENEFICIARY_STATUSES = ("active", "merged", "retired")
CHANGE_KINDS = ("created", "updated", "merged", "split", "retired")
DECISIONS = ("auto_link", "review", "non_link", "must_link", "cannot_link")


def _fk_run(table: str, column: str = "run_id", nullable: bool = False) -> sa.Column:
    return sa.Column(
        column,
        sa.Integer,
        sa.ForeignKey("pipeline_run.run_id", name=f"fk_{table}_{column}_pipeline_run"),
        nullable=nullable,
    )


def _pair() -> list[sa.Column]:
    return [
        sa.Column("left_system", sa.String(20), nullable=False),
        sa.Column("left_id", sa.String(64), nullable=False),
        sa.Column("right_system", sa.String(20), nullable=False),
        sa.Column("right_id", sa.String(64), nullable=False),
    ]


def identity_tables_columns() -> dict[str, list]:
    """Columns and constraints of every identity table (migrations write their DDL out literally)."""
    bid = sa.String(24)
    return {
        "beneficiary": [
            sa.Column("beneficiary_id", bid, primary_key=True),
            sa.Column("status", sa.String(10), nullable=False),
            sa.Column("merged_into", bid),
            sa.Column("record_count", sa.Integer, nullable=False),
            _fk_run("beneficiary", "created_run_id"),
            _fk_run("beneficiary", "updated_run_id"),
            sa.Column("created_at", UTCDateTime, nullable=False),
            sa.Column("updated_at", UTCDateTime, nullable=False),
            sa.CheckConstraint("status IN ('active', 'merged', 'retired')", name="ck_beneficiary_status"),
        ],
        "beneficiary_crosswalk": [
            sa.Column("source_system", sa.String(20), nullable=False),
            sa.Column("source_person_id", sa.String(64), nullable=False),
            sa.Column(
                "beneficiary_id",
                bid,
                sa.ForeignKey("beneficiary.beneficiary_id", name="fk_beneficiary_crosswalk_beneficiary_id_beneficiary"),
                nullable=False,
            ),
            sa.Column("match_probability", sa.Float),
            _fk_run("beneficiary_crosswalk", "linked_run_id"),
            sa.Column("linked_at", UTCDateTime, nullable=False),
            sa.PrimaryKeyConstraint("source_system", "source_person_id", name="pk_beneficiary_crosswalk"),
            sa.Index("ix_beneficiary_crosswalk_beneficiary_id", "beneficiary_id"),
        ],
        "beneficiary_change": [
            sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
            sa.Column("beneficiary_id", bid, nullable=False),
            sa.Column("kind", sa.String(10), nullable=False),
            sa.Column("merged_into", bid),
            sa.Column("related_ids", JSONDoc),
            _fk_run("beneficiary_change"),
            sa.Column("changed_at", UTCDateTime, nullable=False),
            sa.Index("ix_beneficiary_change_beneficiary_id", "beneficiary_id"),
            sa.Index("ix_beneficiary_change_merged_into", "merged_into"),  # 0012: a beneficiary's history
            sa.Index("ix_beneficiary_change_kind", "kind"),  # 0012: splits, found by kind
        ],
        "match_pair": [
            _fk_run("match_pair"),
            *_pair(),
            sa.Column("match_weight", sa.Float, nullable=False),
            sa.Column("probability", sa.Float, nullable=False),
            sa.Column("decision", sa.String(12), nullable=False),
            sa.Column("levels", JSONDoc, nullable=False),
            sa.PrimaryKeyConstraint(
                "run_id", "left_system", "left_id", "right_system", "right_id", name="pk_match_pair"
            ),
        ],
        "review_item": [
            sa.Column("review_id", sa.Integer, primary_key=True, autoincrement=True),
            *_pair(),
            sa.Column("match_weight", sa.Float, nullable=False),
            sa.Column("probability", sa.Float, nullable=False),
            sa.Column("evidence", JSONDoc, nullable=False),
            sa.Column("status", sa.String(10), nullable=False),
            _fk_run("review_item", "created_run_id"),
            sa.Column("decided_by", sa.String(100)),
            sa.Column("decided_at", UTCDateTime),
            sa.Column("note", sa.Text),
            sa.Index("ix_review_item_status", "status"),
        ],
        "link_constraint": [
            sa.Column("constraint_id", sa.Integer, primary_key=True, autoincrement=True),
            *_pair(),
            sa.Column("kind", sa.String(12), nullable=False),
            sa.Column("review_id", sa.Integer),
            sa.Column("created_by", sa.String(100), nullable=False),
            sa.Column("created_at", UTCDateTime, nullable=False),
            sa.Column("revoked_by", sa.String(100)),
            sa.Column("revoked_at", UTCDateTime),
            sa.CheckConstraint("kind IN ('must_link', 'cannot_link')", name="ck_link_constraint_kind"),
        ],
        "linkage_run": [
            sa.Column(
                "run_id",
                sa.Integer,
                sa.ForeignKey("pipeline_run.run_id", name="fk_linkage_run_run_id_pipeline_run"),
                primary_key=True,
            ),
            sa.Column("mode", sa.String(12), nullable=False),
            sa.Column("settings", JSONDoc, nullable=False),
            sa.Column("model", JSONDoc, nullable=False),
            sa.Column("metrics", JSONDoc),
        ],
    }


IDENTITY_TABLES: dict[str, sa.Table] = {
    name: sa.Table(name, Base.metadata, *cols) for name, cols in identity_tables_columns().items()
}
IDENTITY_TABLES["linkage_work"] = sa.Table(  # migration 0008: what a run planned, for every worker to load
    "linkage_work",
    Base.metadata,
    sa.Column(
        "run_id",
        sa.Integer,
        sa.ForeignKey("linkage_run.run_id", name="fk_linkage_work_run_id_linkage_run"),
        primary_key=True,
    ),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),
)
