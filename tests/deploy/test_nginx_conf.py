"""The nginx configuration the deploy guide shows is the one the slow-client tests run
(tests/reliability/test_slow_clients.py runs deploy/nginx.conf)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_deploy_guide_shows_deploy_nginx_conf_verbatim():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    guide = (ROOT / "docs" / "deploy.md").read_text()

    assert f"```nginx\n{conf}```" in guide


def test_nginx_buffers_whole_requests_and_keeps_the_api_access_key_header():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()

    for directive in (
        "proxy_request_buffering on;",
        "client_body_timeout 15s;",
        "client_header_timeout 15s;",
        "underscores_in_headers on;",
        "proxy_set_header X-Real-IP $remote_addr;",
        "proxy_read_timeout 310s;",
    ):
        assert directive in conf


def test_the_answers_path_is_a_tmpfs_of_its_own_in_the_deploy_guide():
    """nginx keeps the part of an answer beyond its buffers in proxy_temp_path (customer
    data): the guide mounts that very path as a bounded tmpfs only nginx's user reads, and
    has nginx refuse to start without it."""
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    guide = (ROOT / "docs" / "deploy.md").read_text()
    [path] = re.findall(r"^\s*proxy_temp_path (\S+);$", conf, flags=re.MULTILINE)

    assert "proxy_max_temp_file_size 256m;" in conf
    [mount] = [line for line in guide.splitlines() if line.startswith(f"tmpfs {path} ")]
    assert mount.split()[2] == "tmpfs"
    options = mount.split()[3].split(",")
    assert {"mode=0700", "uid=www-data"} <= set(options)
    assert any(option.startswith("size=") for option in options)
    assert f"RequiresMountsFor={path}" in guide
    assert f'findmnt -n -o FSTYPE -M {path})" = tmpfs' in guide
    assert "swap off, or encrypted" in guide
