"""Every warehouse table, registered on one MetaData (``metadata``) for Alembic and the loaders."""
from warehouse.models.base import Base
from warehouse.models.ops import PipelineRun, SyncState

metadata = Base.metadata

__all__ = ["Base", "metadata", "PipelineRun", "SyncState"]
