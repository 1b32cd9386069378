"""Behind nginx (deploy/nginx.conf) every request comes from nginx's address: the client's
own is the X-Real-IP header nginx sets, trusted from LOYALTY_TRUSTED_PROXIES only
(core/client_address.py), so the per-address login throttle still tells clients apart."""

import json

import pytest

from tests.conftest import batch_params

LIMIT = 3
NGINX = "127.0.0.1"


@pytest.fixture
def behind_nginx(settings):
    settings.LOYALTY = {**settings.LOYALTY, "AUTH_FAILURE_LIMIT": LIMIT}
    settings.LOYALTY_TRUSTED_PROXIES = frozenset({NGINX})


def post(client, *, real_ip: str, password: str | None = None, peer: str = NGINX):
    params = batch_params(("code",), "C1", output="JSON")
    if password is not None:
        params["user_password"] = password
    return client.post("/api", params, REMOTE_ADDR=peer, HTTP_X_REAL_IP=real_ip)


def test_a_guesser_behind_nginx_does_not_throttle_another_client(
    behind_nginx, client, user, campaigns
):
    for _ in range(LIMIT + 1):
        post(client, real_ip="203.0.113.7", password="wrong")

    guesser = post(client, real_ip="203.0.113.7")
    other = post(client, real_ip="198.51.100.20")

    assert guesser.status_code == 429
    assert other.status_code == 200, other.content
    assert json.loads(other.content)["batch"]["customers"]["new"] == 1


def test_x_real_ip_from_an_untrusted_address_is_ignored(behind_nginx, client, user, campaigns):
    for number in range(LIMIT + 1):
        post(client, real_ip=f"203.0.113.{number}", password="wrong", peer="192.0.2.1")

    # All counted against 192.0.2.1, whatever X-Real-IP said.
    answer = post(client, real_ip="198.51.100.20", peer="192.0.2.1")

    assert answer.status_code == 429


def test_the_request_log_names_the_client_behind_nginx(
    behind_nginx, client, user, campaigns, caplog
):
    with caplog.at_level("INFO", logger="loyalty.request"):
        post(client, real_ip="2001:db8::1")

    assert json.loads(caplog.records[-1].getMessage())["client"] == "2001:db8::1"
