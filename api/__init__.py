"""Read API for case-management systems (FastAPI): merged beneficiary records, lookups, change feed,
crosswalk; API-key access control by role, redaction, append-only audit. See api/README.md.
May import warehouse, schemas.standardise and configuration; never dags or matching.
"""
