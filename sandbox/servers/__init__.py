"""HTTP simulators of SAT and POLIS with injectable faults, served from ``sandbox.http_store``.

Modules: ``transport`` (socket, dispatch, logging), ``faults``, ``sat``, ``polis``, ``runner``;
``python -m sandbox.servers`` is the CLI. Imports only the standard library and ``sandbox.http_store``.
"""

from sandbox.servers.faults import FaultConfig
from sandbox.servers.runner import ServerHandle, serve_forever, start_server

__all__ = ["FaultConfig", "ServerHandle", "serve_forever", "start_server"]
