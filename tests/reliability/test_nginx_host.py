"""nginx passes the Host the client sent, port included (deploy/nginx.conf): the admin's
forms post back on any port nginx listens on. With `$host` the port was dropped, Django's
CSRF check compared the browser's Origin (http://host:port) with a host without it, and
every admin login behind nginx on a non-default port was refused 403 (both the seventh and
eighth red team had to change the shipped config to log in)."""

from __future__ import annotations

import http.client
import secrets
import string
import urllib.parse

import pytest

from tests.conftest import PASSWORD, USER_ID

# What nginx passes on does not depend on the database behind the app.
pytestmark = pytest.mark.once


def test_an_admin_login_posted_through_nginx_on_its_port_passes_the_csrf_check(server, documented):
    # A CSRF secret of the client's own making is valid as cookie and token alike; a login
    # that succeeds is a redirect, rendered without the collected static files.
    secret = "".join(secrets.choice(string.ascii_letters) for _ in range(32))
    body = urllib.parse.urlencode(
        {"username": USER_ID, "password": PASSWORD, "csrfmiddlewaretoken": secret}
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={secret}",
        "Origin": f"http://127.0.0.1:{documented.port}",
    }
    server.database.query("UPDATE auth_user SET is_staff = %s WHERE username = %s", (True, USER_ID))
    connection = http.client.HTTPConnection("127.0.0.1", documented.port, timeout=30)
    try:
        connection.request("POST", "/admin/login/?next=/admin/", body, headers)
        answer = connection.getresponse()
        text = answer.read().decode(errors="replace")
    finally:
        connection.close()
        server.database.query(
            "UPDATE auth_user SET is_staff = %s WHERE username = %s", (False, USER_ID)
        )

    assert (answer.status, answer.getheader("Location")) == (302, "/admin/"), text[:300]
