"""Connectors: extract each source system into the raw layer.

One module per system on a shared base (paging, retries, sync state).
May import configuration and warehouse; never schemas, matching, api or dags.
"""
