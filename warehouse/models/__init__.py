"""Every warehouse table, registered on one MetaData (``metadata``) for Alembic and the loaders."""
from warehouse.models.base import Base
from warehouse.models.ops import PipelineRun, SyncState
from warehouse.models.raw import RAW_STREAMS, RAW_TABLES, raw_table_name, sync_seen

metadata = Base.metadata

__all__ = ["Base", "metadata", "PipelineRun", "SyncState", "RAW_STREAMS", "RAW_TABLES", "raw_table_name", "sync_seen"]
