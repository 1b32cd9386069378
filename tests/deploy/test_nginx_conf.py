"""The nginx configuration the deploy guide shows is the one the slow-client tests run
(tests/reliability/test_slow_clients.py runs deploy/nginx.conf)."""

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
