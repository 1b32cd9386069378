"""Processes the benchmark starts: the gunicorn server, helper subprocesses that answer in
JSON, and the sampling of their memory. Everything started here is stopped here, by pid
or by the process group it was started in, whatever happens to the benchmark."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import nullcontext
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
WORKER_TIMEOUT_SECONDS = 1800
READY_TIMEOUT_SECONDS = 60
SAMPLE_SECONDS = 0.02
# How often the sampler looks for new processes; reading RSS is cheap, listing is not.
REFRESH_EVERY_SAMPLES = 25


class BenchError(Exception):
    """A measurement failed; the message says why (with the process's last output)."""


class PeakRss:
    """The largest RSS of one process (or of the largest of its children, for gunicorn's
    workers) seen while the block runs, sampled every 20 ms in a thread."""

    def __init__(self, pid: int, *, children: bool):
        self.root = psutil.Process(pid)
        self.children = children
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "PeakRss":
        self._sample(self._processes())
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        processes: list[psutil.Process] = []
        samples = 0
        while not self._stop.is_set():
            if samples % REFRESH_EVERY_SAMPLES == 0:
                processes = self._processes()
            self._sample(processes)
            samples += 1
            self._stop.wait(SAMPLE_SECONDS)

    def _processes(self) -> list[psutil.Process]:
        try:
            return self.root.children(recursive=True) if self.children else [self.root]
        except psutil.NoSuchProcess:
            return []

    def _sample(self, processes: list[psutil.Process]) -> None:
        for process in processes:
            try:
                self.peak = max(self.peak, process.memory_info().rss)
            except psutil.NoSuchProcess:
                continue


class Gunicorn:
    """`loyalty.wsgi:application` under gunicorn with `workers` sync worker processes on a
    free localhost port, in its own process group, stopped with all its workers. A context
    manager (started and ready on entry, stopped on exit), or start() and stop(). The
    reliability tests run their server with it too (tests/reliability/server.py)."""

    # A 1,000,000-row request takes a while; a worker must not be killed in the middle of it.
    worker_timeout_seconds = WORKER_TIMEOUT_SECONDS
    # How stop() ends the group: a signal and how long to wait for it, in turn.
    stop_signals = ((signal.SIGTERM, 15), (signal.SIGKILL, 10))
    # After the first answer, how long the other workers get to finish importing.
    settle_seconds = 0.5

    def __init__(self, env: dict, *, workers: int, log_path: Path, options: tuple[str, ...] = ()):
        self.env = env
        self.workers = workers
        self.options = options
        self.log_path = log_path
        self.port = 0
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        self.port = free_port()
        command, env = self.command()
        with self.log_path.open("ab") as log:
            # Its own session: a Ctrl-C in the terminal reaches us, and we stop the group.
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self.wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def command(self) -> tuple[list[str], dict]:
        """The command line and environment that start gunicorn on self.port."""
        command = [
            PYTHON,
            "-m",
            "gunicorn",
            "loyalty.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={self.workers}",
            "--worker-class=sync",
            f"--timeout={self.worker_timeout_seconds}",
            "--graceful-timeout=5",
            "--log-level=warning",
            *self.options,
        ]
        return command, self.env

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def worker_pids(self) -> list[int]:
        return [child.pid for child in psutil.Process(self.pid).children()]

    def worker_rss(self) -> int:
        """The largest RSS among the workers now."""
        sizes = [child.memory_info().rss for child in psutil.Process(self.pid).children()]
        return max(sizes, default=0)

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        for sig, wait in self.stop_signals:
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                return
            try:
                process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def log_tail(self, lines: int = 15) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return tail(text, lines)

    def wait_until_ready(self) -> None:
        """Until every worker has booted and the server answers GET /healthz."""
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited at start:\n{self.log_tail()}")
            if len(self.worker_pids()) == self.workers and self._healthy():
                time.sleep(self.settle_seconds)
                return
            time.sleep(0.1)
        raise BenchError(f"gunicorn not ready within {READY_TIMEOUT_SECONDS} s:\n{self.log_tail()}")

    def _healthy(self) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_json(args: list[str], env: dict, *, measure_memory: bool = False) -> dict:
    """Run `python args` in the project directory and return the JSON object it prints
    last; with `measure_memory`, add its peak RSS as "peak_rss"."""
    process = subprocess.Popen(
        [PYTHON, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        sampler = PeakRss(process.pid, children=False) if measure_memory else nullcontext()
        with sampler:
            out, err = process.communicate()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if process.returncode != 0:
        raise BenchError(f"{' '.join(args[:3])} failed ({process.returncode}):\n{tail(err)}")
    try:
        result = json.loads(out.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise BenchError(f"{' '.join(args[:3])} printed no result:\n{tail(out + err)}") from None
    if measure_memory:
        result["peak_rss"] = sampler.peak
    return result


def emit(result: dict) -> None:
    """What a helper subprocess prints last, for run_json."""
    print(json.dumps(result), flush=True)


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
