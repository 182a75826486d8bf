"""The unified beneficiary profile: survivorship (golden record + provenance), facts, type-2 history,
households, `beneficiary_profile` and monitoring marts, published by `publish(cfg, engine)`.

Reads the staging and identity layers; imports nothing above `warehouse` (never matching, api or dags).
"""

from warehouse.profile.demo import household_lines
from warehouse.profile.publish import publish
from warehouse.profile.survivorship import RULES

__all__ = ["publish", "household_lines", "RULES"]
