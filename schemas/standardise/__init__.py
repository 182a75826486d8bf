"""Standardisers: pure functions turning messy source values into canonical stg_person values.

One module per concern (names, codice_fiscale, dates, phones, addresses, countries, sex); None/NaN-safe,
lru-cached where inputs repeat; they use only third-party libraries and never import other hub packages.
"""
