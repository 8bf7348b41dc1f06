"""Running endpoints: in the foreground (``iamd imds``), or beside the API server in a
thread of their own (``iamd serve --imds PORT:PROFILE``)."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import uvicorn


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; ``port`` 0 picks a free one. Raises ``OSError``."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
        # Listen at once: a client told the address before the server loop runs must be
        # queued, not refused.
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _server(app: Any) -> uvicorn.Server:
    return uvicorn.Server(uvicorn.Config(
        # X-Forwarded-For must reach the app as sent: it is what the token request refuses.
        app, log_level="warning", access_log=False, lifespan="off", proxy_headers=False,
        server_header=False, timeout_graceful_shutdown=5,
    ))


def run(app: Any, sock: socket.socket) -> None:
    """Serve ``app`` on ``sock`` until SIGINT or SIGTERM."""
    _server(app).run(sockets=[sock])


class Background:
    """Endpoints served by one event loop in a daemon thread; ``stop`` ends them."""

    def __init__(self, endpoints: list[tuple[Any, socket.socket]]) -> None:
        self._servers = [(_server(app), sock) for app, sock in endpoints]
        self._thread = threading.Thread(target=self._run, name="iamd-imds", daemon=True)

    async def _serve_all(self) -> None:
        await asyncio.gather(*(server.serve(sockets=[sock]) for server, sock in self._servers))

    def _run(self) -> None:
        asyncio.run(self._serve_all())

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        for server, _sock in self._servers:
            server.should_exit = True
        self._thread.join(timeout)
