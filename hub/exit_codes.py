"""The exit codes of `fase`, listed in `fase --help` (scripts and schedulers branch on them)."""

from __future__ import annotations

OK = 0
FAILED = 1
"""A step failed; the line before says which and why (`--debug` shows the traceback)."""
USAGE = 2
"""Bad arguments or configuration; the message names the option or the configuration field."""
WAREHOUSE_UNREACHABLE = 69
"""EX_UNAVAILABLE: the warehouse named by `warehouse.url` cannot be reached."""
BUSY = 75
"""EX_TEMPFAIL: the step is already running elsewhere (its lock is held); try again later or pass --wait.
The same value as warehouse.locks.EXIT_BUSY."""
WAREHOUSE_NOT_CURRENT = 78
"""EX_CONFIG: the warehouse's schema is not this code's (empty, or behind): run `fase db upgrade`."""

TABLE = (
    (OK, "success"),
    (FAILED, "a step failed (the message says which; --debug shows the traceback)"),
    (USAGE, "bad arguments or configuration (the option or field is named)"),
    (WAREHOUSE_UNREACHABLE, "the warehouse cannot be reached (configuration field warehouse.url)"),
    (BUSY, "the step is already running elsewhere: try again later, or pass --wait"),
    (WAREHOUSE_NOT_CURRENT, "the warehouse's schema is empty or behind: run `fase db upgrade`"),
)
"""(code, meaning) as `fase --help` lists them."""
