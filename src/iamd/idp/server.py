"""The test IdP's HTTPS server on loopback: OpenID Connect discovery, JWK set, SAML metadata."""

from __future__ import annotations

import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from iamd.idp import oidc
from iamd.idp.keys import IdpState


def make_server(state: IdpState, host: str, port: int) -> ThreadingHTTPServer:
    """A server bound to ``host:port`` (0 picks a free port); the state's issuer is set to it."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            body: Any
            if path == "/.well-known/openid-configuration":
                body, kind = json.dumps(oidc.discovery(state)), "application/json"
            elif path == "/.well-known/jwks.json":
                body, kind = json.dumps(oidc.jwks(state)), "application/json"
            elif path == "/saml/metadata":
                from iamd.idp import saml

                body, kind = saml.metadata(state), "application/samlmetadata+xml"
            else:
                self.send_error(404)
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    cert, key = state.tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.config["issuer"] = f"https://{host}:{server.server_address[1]}"
    state.save_config()
    return server


def serve_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread
