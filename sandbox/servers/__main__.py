"""Run one simulator in the foreground: ``python -m sandbox.servers {sat,polis} --store PATH --port N``.

The secret comes from the environment only (``FASE_SAT_TOKEN`` / ``FASE_POLIS_API_KEY``, e.g.
``set -a; . var/sandbox/secrets.env``), never from the command line where ``ps`` would show it.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys

from sandbox.servers.faults import FAULT_KINDS, FaultConfig
from sandbox.servers.runner import SYSTEMS, serve_forever

SECRET_ENV = {"sat": "FASE_SAT_TOKEN", "polis": "FASE_POLIS_API_KEY"}


def _weight(text: str) -> tuple[str, float]:
    kind, sep, weight = text.partition("=")
    if not sep or kind not in FAULT_KINDS:
        raise argparse.ArgumentTypeError(f"expected KIND=WEIGHT with KIND in {FAULT_KINDS}, got {text!r}")
    try:
        return kind, float(weight)
    except ValueError:
        raise argparse.ArgumentTypeError(f"weight of {kind} is not a number: {weight!r}") from None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.servers", description=__doc__.splitlines()[0])
    parser.add_argument("system", choices=SYSTEMS)
    parser.add_argument("--store", required=True, help="the system's HttpStore file, e.g. var/sandbox/sat.db")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (logged at start)")
    parser.add_argument("--public-base-url", help="POLIS: origin of the absolute next/previous links")
    parser.add_argument("--cursor-ttl-minutes", type=float, default=15, help="SAT: cursor validity")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of data requests that fail, 0..1")
    parser.add_argument("--fault-seed", type=int)
    parser.add_argument("--fault-weight", type=_weight, action="append", default=[], metavar="KIND=WEIGHT")
    parser.add_argument("--retry-after", type=int, default=1, help="seconds announced on 429")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env = SECRET_ENV[args.system]
    secret = os.environ.get(env)
    if not secret:
        print(f"error: set {env} in the environment", file=sys.stderr)
        return 2
    try:
        faults = FaultConfig(
            rate=args.fault_rate, seed=args.fault_seed, weights=dict(args.fault_weight), retry_after=args.retry_after
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with contextlib.suppress(KeyboardInterrupt):
        serve_forever(
            args.system,
            args.store,
            args.host,
            args.port,
            secret=secret,
            faults=faults,
            public_base_url=args.public_base_url,
            cursor_ttl_minutes=args.cursor_ttl_minutes,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
