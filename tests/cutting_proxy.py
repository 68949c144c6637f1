"""A TCP proxy on 127.0.0.1 in front of a real SPARQL server that breaks one kind of request part way through
its body: it passes `cut_after` bytes of a request whose first line starts with `target` (e.g. b"POST /update"),
then either drops both connections ("drop") or answers 500 itself without forwarding the rest ("500")."""

from __future__ import annotations

import socket
import threading

REFUSAL = b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: 33\r\nConnection: close\r\n\r\ninjected failure in the mid-body\n"


class CuttingProxy:
    """Forwards every connection to `upstream` (host, port); `mode` is "drop", "500" or None (pass everything)."""

    def __init__(self, upstream: tuple[str, int], target: bytes = b"POST /update", cut_after: int = 1 << 20):
        self.upstream, self.target, self.cut_after = upstream, target, cut_after
        self.mode: str | None = None
        self.cuts = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            threading.Thread(target=self._up, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client), daemon=True).start()

    def _up(self, client: socket.socket, server: socket.socket) -> None:
        """Client to server; counts the bytes of a targeted request and breaks it where told."""
        counting, passed = False, 0
        try:
            while data := client.recv(65536):
                if self.mode and not counting and self.target in data:
                    counting, passed = True, len(data) - data.index(self.target)
                    server.sendall(data)
                    continue
                if counting:
                    passed += len(data)
                    if passed > self.cut_after:
                        self.cuts += 1
                        if self.mode == "500":  # answered before the upstream side closes, so the client reads it
                            client.sendall(REFUSAL)
                        server.close()
                        client.close()
                        return
                server.sendall(data)
        except OSError:
            pass
        finally:
            for s in (client, server):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def close(self) -> None:
        self.sock.close()
