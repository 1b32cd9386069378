"""Fixtures of the admin's tests."""

import pytest


@pytest.fixture
def boss(client, django_user_model, account, campaigns):
    """The test client logged in as a superuser, with the demo account and its campaigns."""
    client.force_login(django_user_model.objects.create_superuser("boss", password="pw"))
    return client
