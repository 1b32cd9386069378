"""The documented production set-up for the slow-client tests: gunicorn started with the
repository's gunicorn.conf.py, as `make serve` starts it, and nginx with the repository's
deploy/nginx.conf (docs/deploy.md, "nginx in front") in front of it. Both listen on free
loopback ports; nginx runs as the test's user, its files in a temporary directory."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from bench.server import PYTHON, ROOT, free_port

from .server import Gunicorn, ServerError

NGINX_SITE = ROOT / "deploy" / "nginx.conf"
# What the test changes in deploy/nginx.conf: the addresses, the access log and where answers
# wait (a tmpfs here too).
SITE_LISTEN = "listen 80;"
SITE_UPSTREAM = "server 127.0.0.1:8000;"
SITE_ACCESS_LOG = "access_log /var/log/nginx/loyalty-access.log "
# Where nginx keeps an answer the client has not read yet: a tmpfs of its own in production
# (docs/deploy.md, "Answers nginx holds"), a directory on a tmpfs here.
SITE_ANSWERS = "proxy_temp_path /var/lib/nginx/loyalty-answers;"
NO_TMPFS = "no writable tmpfs (/dev/shm) for nginx's answers: mount one there"
NGINX_MISSING = (
    "nginx is not installed: scripts/ensure-nginx installs Debian's (make test runs it), "
    "or apt-get install nginx"
)
READY_SECONDS = 30


class DocumentedGunicorn(Gunicorn):
    """gunicorn with gunicorn.conf.py and nothing else: its address and worker count come
    from the environment (PORT, WEB_CONCURRENCY), as docs/deploy.md says."""

    def command(self) -> tuple[list[str], dict]:
        env = {
            **self.env,
            "PORT": str(self.port),
            "GUNICORN_HOST": "127.0.0.1",
            "WEB_CONCURRENCY": str(self.workers),
            "GUNICORN_LOG_LEVEL": "warning",
            "LOYALTY_TRUSTED_PROXIES": "127.0.0.1",
        }
        return [PYTHON, "-m", "gunicorn", "--config", "gunicorn.conf.py"], env


def filesystem_type(path: Path) -> str:
    """The type of the filesystem `path` is on (/proc/self/mountinfo's longest mount point
    holding it): "tmpfs", "ext4", ..."""
    target = os.path.realpath(path)
    best, kind = "", ""
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        point = fields[4].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[fields.index("-") + 1]
    return kind


def tmpfs_directory() -> Path:
    """A new directory on a tmpfs, only the test's user can read (as the production mount's
    mode=0700)."""
    root = Path("/dev/shm")
    if not root.is_dir() or filesystem_type(root) != "tmpfs" or not os.access(root, os.W_OK):
        raise ServerError(NO_TMPFS)
    return Path(tempfile.mkdtemp(prefix="loyalty-answers-", dir=root))


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if Path(path).exists()), None
    )
    if found is None:
        raise ServerError(NGINX_MISSING)
    return found


class Nginx:
    """nginx with deploy/nginx.conf, its upstream pointed at `upstream_port`; in the
    foreground and without a master process, so it runs as the test's user and stops
    with its pid."""

    def __init__(self, *, upstream_port: int, workdir: Path, sndbuf: str = ""):
        # `sndbuf` (say "64k"): the listening socket's send buffer, so that an answer a
        # client does not read waits in nginx rather than in the kernel's buffer.
        self.sndbuf = sndbuf
        self.upstream_port = upstream_port
        self.workdir = workdir
        self.port = 0
        self.process: subprocess.Popen | None = None
        # The site's proxy_temp_path, on a tmpfs: set by start().
        self.answers: Path | None = None

    def start(self) -> None:
        binary = nginx_binary()
        self.port = free_port()
        site = NGINX_SITE.read_text()
        assert site.count(SITE_LISTEN) == 1 and site.count(SITE_UPSTREAM) == 1
        assert site.count(SITE_ACCESS_LOG) == 1 and site.count(SITE_ANSWERS) == 1
        self.answers = self.answers or tmpfs_directory()
        sndbuf = f" sndbuf={self.sndbuf}" if self.sndbuf else ""
        site = site.replace(SITE_LISTEN, f"listen 127.0.0.1:{self.port}{sndbuf};")
        site = site.replace(SITE_UPSTREAM, f"server 127.0.0.1:{self.upstream_port};")
        site = site.replace(SITE_ACCESS_LOG, f"access_log {self.workdir / 'access.log'} ")
        site = site.replace(SITE_ANSWERS, f"proxy_temp_path {self.answers};")
        (self.workdir / "site.conf").write_text(site)
        temp = {name: self.workdir / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
        for path in temp.values():
            path.mkdir(exist_ok=True)
        main = f"""
daemon off;
master_process off;
pid {self.workdir / "nginx.pid"};
error_log {self.workdir / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    # As Debian's nginx.conf: every request in the combined format (the site's own
    # access_log replaces it for the site's server).
    access_log {self.workdir / "combined.log"};
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {self.workdir / "site.conf"};
}}
"""
        (self.workdir / "nginx.conf").write_text(main)
        log = (self.workdir / "nginx.out").open("ab")
        self.process = subprocess.Popen(
            [binary, "-p", str(self.workdir), "-c", str(self.workdir / "nginx.conf")],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self._wait_until_listening()

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise ServerError(f"nginx exited at start:\n{self.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise ServerError(f"nginx not listening within {READY_SECONDS} s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        texts = []
        for name in ("nginx.out", "error.log"):
            path = self.workdir / name
            if path.exists():
                texts.append(path.read_text(errors="replace")[-2000:])
        return "\n".join(texts)

    def stop(self) -> None:
        """Stop nginx; its answers directory stays until remove()."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def remove(self) -> None:
        """Stop nginx and remove its answers directory from the tmpfs."""
        self.stop()
        if self.answers is not None:
            shutil.rmtree(self.answers, ignore_errors=True)
