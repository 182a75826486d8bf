"""Entry point of the pipeline step "publish" (hub.pipeline): see warehouse.profile.publish."""

from warehouse.profile.publish import publish

__all__ = ["publish"]
