"""A closed-loop HTTP/1.1 load generator in plain Python, kept off the server's process.

``connections`` keep-alive connections are spread over ``processes`` worker processes
(one thread per connection). Each connection sends ``GET <path>``, reads the whole
response and sends the next one: the offered load adapts to the server. The client speaks
just enough HTTP/1.1 (``Content-Length`` bodies, no chunking) to stay cheap per request;
anything else it counts as an error.

Every process warms up, then measures over the same wall-clock window. Requests that
complete inside the window count towards the rate and the latency percentiles. The CPU
used by the server and by the load processes over the window is reported too, so a run
can tell whether the server (``server_cpu`` near 1.0 per server process) or the client
was the bottleneck.
"""

from __future__ import annotations

import multiprocessing
import socket
import threading
import time
from dataclasses import dataclass

from _common import cpu_seconds, percentile

_MAX_HEADER = 65536


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured."""

    requests: int
    errors: int
    duration_s: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    server_cpu: float  # CPU seconds of the server per second of the window (1.0 = one core)
    client_cpu: float  # CPU seconds of all load processes per second of the window


class _ProtocolError(Exception):
    pass


class _Connection:
    def __init__(self, host: str, port: int, path: str) -> None:
        self.host, self.port = host, port
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "User-Agent: eaeu-bench\r\nAccept: */*\r\n\r\n"
        ).encode("ascii")
        self.sock: socket.socket | None = None
        self.buffer = b""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock, self.buffer = sock, b""
        return sock

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def get(self) -> int:
        """Send one request and read its response; return the status code."""
        sock = self.sock or self._connect()
        sock.sendall(self.request)
        buffer = self.buffer
        while (end := buffer.find(b"\r\n\r\n")) < 0:
            buffer += self._recv(sock)
            if len(buffer) > _MAX_HEADER:
                raise _ProtocolError("response header too large")
        head = buffer[:end].decode("latin-1")
        lines = head.split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = None
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        if length is None:
            raise _ProtocolError("response without Content-Length")
        body_end = end + 4 + length
        while len(buffer) < body_end:
            buffer += self._recv(sock)
        self.buffer = buffer[body_end:]
        if close:
            self.close()
        return status

    @staticmethod
    def _recv(sock: socket.socket) -> bytes:
        chunk = sock.recv(65536)
        if not chunk:
            raise _ProtocolError("connection closed by the server")
        return chunk


def _drive(
    host: str,
    port: int,
    path: str,
    window: tuple[float, float],
    latencies: list[float],
    counts: list[int],
) -> None:
    start, end = window
    connection = _Connection(host, port, path)
    errors = 0
    try:
        while (began := time.perf_counter()) < end:
            try:
                status = connection.get()
            except (OSError, ValueError, _ProtocolError):
                errors += start <= time.perf_counter() < end
                connection.close()
                time.sleep(0.01)
                continue
            done = time.perf_counter()
            if start <= done < end:
                if status == 200:
                    latencies.append(done - began)
                else:
                    errors += 1
    finally:
        connection.close()
        counts.append(errors)


def _worker(
    host: str, port: int, path: str, connections: int, window: tuple[float, float]
) -> tuple[list[float], int, float]:
    """Run ``connections`` threads; return latencies (s), errors and CPU s in the window."""
    start, end = window
    latencies: list[float] = []  # list.append is atomic under the GIL
    counts: list[int] = []
    threads = [
        threading.Thread(target=_drive, args=(host, port, path, window, latencies, counts))
        for _ in range(connections)
    ]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, start - time.perf_counter()))
    cpu_start = time.process_time()
    time.sleep(max(0.0, end - time.perf_counter()))
    cpu = time.process_time() - cpu_start
    for thread in threads:
        thread.join()
    return latencies, sum(counts), cpu


def run_load(
    url: str,
    *,
    server_pid: int,
    connections: int = 16,
    processes: int = 2,
    warmup_s: float = 1.0,
    duration_s: float = 5.0,
) -> LoadResult:
    """Drive ``url`` (``http://host:port/path``) and return what was measured."""
    rest = url.removeprefix("http://")
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    # perf_counter is CLOCK_MONOTONIC on Linux: one clock for every process on the machine.
    start = time.perf_counter() + 0.3 + warmup_s
    window = (start, start + duration_s)
    shares = [connections // processes + (i < connections % processes) for i in range(processes)]
    context = multiprocessing.get_context("fork")
    with context.Pool(processes) as pool:
        pending = [
            pool.apply_async(_worker, (host, int(port), "/" + path, share, window))
            for share in shares
            if share
        ]
        time.sleep(max(0.0, window[0] - time.perf_counter()))
        server_start = cpu_seconds(server_pid)
        time.sleep(max(0.0, window[1] - time.perf_counter()))
        server_end = cpu_seconds(server_pid)
        outcomes = [result.get(timeout=duration_s + warmup_s + 60) for result in pending]
    latencies = [latency for outcome in outcomes for latency in outcome[0]]
    errors = sum(outcome[1] for outcome in outcomes)
    if not latencies:
        msg = f"no successful request to {url} ({errors} errors)"
        raise RuntimeError(msg)
    server_cpu = (
        (server_end - server_start) / duration_s
        if server_start is not None and server_end is not None
        else float("nan")
    )
    return LoadResult(
        requests=len(latencies),
        errors=errors,
        duration_s=duration_s,
        rps=len(latencies) / duration_s,
        p50_ms=percentile(latencies, 50) * 1000,
        p95_ms=percentile(latencies, 95) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        server_cpu=server_cpu,
        client_cpu=sum(outcome[2] for outcome in outcomes) / duration_s,
    )
