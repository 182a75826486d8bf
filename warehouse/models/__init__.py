"""Every warehouse table, registered on one MetaData (``metadata``) for Alembic and the loaders."""

from warehouse.models.access import ACCESS_TABLES
from warehouse.models.base import Base, table_of
from warehouse.models.identity import IDENTITY_TABLES
from warehouse.models.ops import PipelineRun, StepLock, SyncState
from warehouse.models.privacy import ANALYST_PSEUDONYM  # noqa: F401  (0011: protection flags, audit chain)
from warehouse.models.profile import PROFILE_TABLES  # noqa: F401  (golden record, facts, marts)
from warehouse.models.quality import QualityResult, Quarantine
from warehouse.models.raw import RAW_STREAMS, RAW_TABLES, raw_table_name, sync_seen
from warehouse.models.staging import STAGING_TABLES

metadata = Base.metadata

__all__ = [
    "Base",
    "metadata",
    "table_of",
    "PipelineRun",
    "StepLock",
    "SyncState",
    "Quarantine",
    "QualityResult",
    "RAW_STREAMS",
    "RAW_TABLES",
    "raw_table_name",
    "sync_seen",
    "STAGING_TABLES",
    "IDENTITY_TABLES",
    "ACCESS_TABLES",
]
