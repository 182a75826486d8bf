"""Which connector serves which system: the stream factories, and the streams of one system built from the config."""

from __future__ import annotations

from collections.abc import Callable

from configuration import SYSTEMS, HubConfig
from connectors import anagrafe, contabilita, polis, sat, volontariato
from connectors.base import Stream

STREAM_FACTORIES: dict[str, Callable[..., list[Stream]]] = {
    "sat": sat.streams,
    "anagrafe": anagrafe.streams,
    "polis": polis.streams,
    "volontariato": volontariato.streams,
    "contabilita": contabilita.streams,
}
assert tuple(STREAM_FACTORIES) == SYSTEMS


def check_system(system: str) -> None:
    """ValueError naming the known systems unless `system` is one."""
    if system not in STREAM_FACTORIES:
        raise ValueError(f"unknown system {system!r}; expected one of {', '.join(SYSTEMS)}")


def build_streams(cfg: HubConfig, system: str, **client_kwargs) -> list[Stream]:
    """The streams of `system`, ready to sync or reconcile (`client_kwargs` go to the HTTP client)."""
    check_system(system)
    return STREAM_FACTORIES[system](cfg, **client_kwargs)
