"""Read API for case-management systems (FastAPI).

Serves merged beneficiary records from the warehouse with access control and audit.
May import warehouse and hub.config; never dags.
"""
