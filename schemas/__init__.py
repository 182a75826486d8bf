"""Contracts and standardisation: raw records -> canonical staging records.

pandera models per raw stream, standardisers (names, codice fiscale, dates, ...), quarantine.
May import warehouse, configuration and connectors.base (sync state); never matching, api or dags.
"""
