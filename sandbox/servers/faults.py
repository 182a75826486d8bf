"""Fault injection: which transient failure, if any, an authenticated data request meets.

Fault kinds are named by what the client sees: ``"429"`` (rate limited, with ``Retry-After``),
``"500"``, ``"502"``, ``"503"`` (server errors) and ``"reset"`` (the connection is reset mid-page).
Each simulator declares which kinds its real system shows; the draw picks among those only.

Apart from those transient faults, ``shape`` makes a server answer 200 with a body of the wrong
shape (off by default; a test hook): ``"no_collection"`` (``data``/``results`` missing),
``"collection_not_list"`` (an object instead), ``"string_item"`` (an item as a JSON string),
``"item_without_id"``, ``"item_without_cursor"``, ``"cursor_not_string"`` (epoch seconds instead of
ISO 8601). Item faults spoil the last item of the page; ``shape_after`` good pages come first.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

FAULT_KINDS = ("429", "500", "502", "503", "reset")
SHAPE_FAULTS = (
    "no_collection",
    "collection_not_list",
    "string_item",
    "item_without_id",
    "item_without_cursor",
    "cursor_not_string",
)


@dataclass
class FaultConfig:
    """How often and how a simulator fails. Mutable: a test may change ``rate`` while the server runs.

    ``rate``        probability (0..1) that an authenticated data request fails;
    ``seed``        seed of the fault RNG (None: unseeded);
    ``weights``     relative weight per kind (``{"reset": 2}``); kinds left out weigh 1,
                    kinds the system does not show are ignored;
    ``retry_after`` seconds announced in ``Retry-After`` on 429 responses;
    ``shape``       one of ``SHAPE_FAULTS``: data pages answer 200 with that malformed body (None: never);
    ``shape_after`` how many data pages are served well before the malformed ones.
    """

    rate: float = 0.0
    seed: int | None = None
    weights: dict[str, float] = field(default_factory=dict)
    retry_after: int = 1
    shape: str | None = None
    shape_after: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be within 0..1, not {self.rate}")
        unknown = set(self.weights) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        if any(w < 0 for w in self.weights.values()):
            raise ValueError("fault weights must not be negative")
        if self.retry_after < 0:
            raise ValueError("retry_after must not be negative")
        if self.shape is not None and self.shape not in SHAPE_FAULTS:
            raise ValueError(f"unknown shape fault {self.shape!r}; known: {SHAPE_FAULTS}")


class FaultInjector:
    """Draws faults for one server from its config with a seeded RNG (thread safe)."""

    def __init__(self, config: FaultConfig, kinds: tuple[str, ...]):
        self.config = config
        self.kinds = kinds
        self._rng = random.Random(config.seed)
        self._lock = threading.Lock()
        self._pages = 0  # data pages served normally, for ``shape_after``

    def spoils_page(self) -> str | None:
        """The shape fault the next data page served well meets, if any (counts the pages served)."""
        with self._lock:
            self._pages += 1
            return self.config.shape if self.config.shape and self._pages > self.config.shape_after else None

    def draw(self) -> str | None:
        """The fault kind this request meets, or None (the request is served normally)."""
        weights = [self.config.weights.get(kind, 1.0) for kind in self.kinds]
        with self._lock:
            if self.config.rate <= 0 or self._rng.random() >= self.config.rate or not any(weights):
                return None
            return self._rng.choices(self.kinds, weights)[0]
