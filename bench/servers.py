"""Start Backroom and PocketBase side by side, each pinned to one core, with default settings."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from backroom.testing.ports import free_port

__all__ = ["EMAIL", "PASSWORD", "Server", "start_backroom", "start_pocketbase"]

EMAIL = "bench@example.com"
PASSWORD = "bench-password-123"
BIN = Path(sys.executable).parent


@dataclass
class Server:
    name: str
    base: str
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _pinned(cmd: list[str], core: int | None) -> list[str]:
    """``cmd`` on one core; ``None`` leaves it every core."""
    if core is None or not shutil.which("taskset"):
        return cmd
    return ["taskset", "-c", str(core), *cmd]


def _wait(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server at {base} exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server at {base} did not start")


def start_backroom(work: Path, core: int | None, workers: int = 1) -> Server:
    data = work / "br_data"
    exe = str(BIN / "backroom")
    subprocess.run(
        [exe, "superuser", "upsert", EMAIL, PASSWORD, "--dir", str(data)],
        check=True,
        capture_output=True,
    )
    port = free_port()
    serve = [exe, "serve", "--http", f"127.0.0.1:{port}", "--dir", str(data)]
    cmd = _pinned([*serve, "--workers", str(workers)], core)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    _wait(base, proc)
    return Server("backroom", base, proc)


def start_pocketbase(work: Path, core: int | None) -> Server:
    exe = str(BIN / "pocketbase")
    flags = ["--dir", str(work / "pb_data"), "--migrationsDir", str(work / "pb_migrations")]
    subprocess.run(
        [exe, "superuser", "upsert", EMAIL, PASSWORD, *flags], check=True, capture_output=True
    )
    port = free_port()
    cmd = _pinned(
        [exe, "serve", "--http", f"127.0.0.1:{port}", *flags, "--automigrate=false"], core
    )
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    _wait(base, proc)
    return Server("pocketbase", base, proc)
