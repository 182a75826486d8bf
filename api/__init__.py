"""Read API for case-management systems (FastAPI): merged beneficiary records, lookups, change feed,
crosswalk; API-key access control by role, redaction, append-only audit. The console for people (api/console/)
shares its process, redaction and audit. See api/README.md.
May import matching, warehouse, schemas.standardise and configuration; never dags, hub or sandbox.
"""
