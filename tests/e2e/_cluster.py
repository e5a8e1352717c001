"""Real ``backroom serve`` processes for the multi-process tests, and which worker process
holds a given TCP connection (read from /proc, so nothing in the server has to tell)."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from _server import BIN, EMAIL, PASSWORD, make_superuser

from backroom.testing.ports import free_port

__all__ = ["BIN", "Conn", "Server", "connections_per_worker", "make_superuser", "owner_of"]


class Server:
    """One ``backroom serve`` process (and its workers) on a free port."""

    def __init__(self, data: Path, *args: str, env: Mapping[str, str] | None = None) -> None:
        self.port = free_port()
        self.conns: list[Conn] = []  # closed on stop
        self.base = f"http://127.0.0.1:{self.port}"
        # a file, not a pipe: a pipe nobody reads fills up and stalls the workers' logging
        self.log = data.parent / f"serve-{self.port}.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [str(BIN), "serve", "--http", f"127.0.0.1:{self.port}", "--dir", str(data), *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.05)

    def token(self) -> str:
        r = httpx.post(
            f"{self.base}/api/collections/_superusers/auth-with-password",
            json={"identity": EMAIL, "password": PASSWORD},
        )
        assert r.status_code == 200, r.text
        token: str = r.json()["token"]
        return token

    def descendants(self) -> set[int]:
        out: set[int] = set()
        todo = [self.proc.pid]
        while todo:
            pid = todo.pop()
            for task in Path(f"/proc/{pid}/task").glob("*"):
                try:
                    kids = (task / "children").read_text().split()
                except OSError:
                    continue
                for k in kids:
                    if int(k) not in out:
                        out.add(int(k))
                        todo.append(int(k))
        return out

    def stop(self) -> None:
        for conn in self.conns:
            conn.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _server_socket_inode(server_port: int, client_port: int) -> str | None:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            next(f)
            for line in f:
                cols = line.split()
                local, remote, inode = cols[1], cols[2], cols[9]
                if (
                    int(local.rsplit(":", 1)[1], 16) == server_port
                    and int(remote.rsplit(":", 1)[1], 16) == client_port
                ):
                    return inode
    return None


def owner_of(server: Server, client_port: int) -> int | None:
    """The process of ``server`` holding the server side of the connection from
    ``client_port``."""
    inode = _server_socket_inode(server.port, client_port)
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for pid in server.descendants():
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    return pid
            except OSError:
                continue
    return None


class Conn:
    """One keep-alive HTTP connection, and the worker process that accepted it."""

    def __init__(self, server: Server) -> None:
        self.http = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        server.conns.append(self)
        self.http.connect()
        assert self.http.sock is not None
        client_port = self.http.sock.getsockname()[1]
        self.request("GET", "/api/health")  # accepted and served: the owner is settled
        self.worker = owner_of(server, client_port)

    def request(
        self, method: str, path: str, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body)
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        self.http.request(method, path, body=data, headers=hdrs)
        resp = self.http.getresponse()
        raw = resp.read()
        return resp.status, (json.loads(raw) if raw else None)

    def close(self) -> None:
        self.http.close()


def connections_per_worker(server: Server, workers: int, each: int) -> dict[int, list[Conn]]:
    """At least ``each`` open connections to every one of ``workers`` worker processes."""
    by_worker: dict[int, list[Conn]] = {}
    spare: list[Conn] = []
    deadline = time.monotonic() + 60
    while len(by_worker) < workers or any(len(c) < each for c in by_worker.values()):
        if time.monotonic() > deadline:
            raise AssertionError(f"connections reached only {sorted(by_worker)}")
        try:
            conn = Conn(server)
        except (OSError, http.client.HTTPException):
            continue  # a worker being replaced: the next connection goes elsewhere
        if conn.worker is None or len(by_worker.get(conn.worker, [])) >= each:
            spare.append(conn)
            continue
        by_worker.setdefault(conn.worker, []).append(conn)
    for c in spare:
        c.close()
    return by_worker
