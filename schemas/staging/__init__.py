"""Standardised staging rows from validated raw payloads: stg_person per system and the event tables.

`vector` applies the standardisers once per distinct value; `person` and `events` build the rows;
`reader` reads raw batches, `last_valid` finds the last passing version of a record whose new version
failed, `writer` applies them to the warehouse by difference.
"""
