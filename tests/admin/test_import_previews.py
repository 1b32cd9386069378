"""An admin import's preview waits in the database, encrypted, for its user's confirmation:
any app server confirms it, nothing of it is on disk, a copy of the database without the
secret key reveals none of its rows, and it is gone after an hour or once confirmed."""

import tempfile

import pytest
from django.core.management import call_command

from customers.admin_import import PENDING_GONE
from customers.models import Customer, ImportPreview
from customers.pending import take_preview
from tests.admin import IMPORT_URL, post_file

SECRET_FILE = (
    "code,first_name,customer_password,customer_PIN\n"
    "C1,Ann,correct-horse-battery-staple,918273645546372819\n"
)


def preview(client, account, content=SECRET_FILE) -> str:
    response = post_file(client, account, content)
    assert response.status_code == 200, response.content[:300]
    return response.context["pending"]


def confirm(client, pending):
    response = client.post(IMPORT_URL, {"pending": pending}, follow=True)
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def server_disk(tmp_path, monkeypatch, settings):
    """The app server's local temporary folder, where uploads would be written."""

    def use(name: str):
        folder = tmp_path / name
        folder.mkdir(exist_ok=True)
        monkeypatch.setattr(tempfile, "tempdir", str(folder))
        settings.FILE_UPLOAD_TEMP_DIR = str(folder)
        return folder

    # Even a small upload would be a temporary file.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 16
    return use


def test_a_preview_made_on_one_server_is_confirmed_on_another(boss, account, server_disk):
    server_disk("first")
    pending = preview(boss, account)
    server_disk("second")

    confirm(boss, pending)

    assert Customer.objects.get().code == "C1"


def test_no_upload_or_preview_is_written_to_the_servers_disk(boss, account, server_disk):
    disk = server_disk("only")

    pending = preview(boss, account)
    assert list(disk.iterdir()) == []
    confirm(boss, pending)

    assert Customer.objects.count() == 1
    assert list(disk.iterdir()) == []


def test_a_preview_in_the_database_holds_no_secret_readable_without_the_key(
    boss, account, settings
):
    pending = preview(boss, account)

    stored = bytes(ImportPreview.objects.get().payload)
    for secret in (b"correct-horse", b"918273645546372819", b"Ann"):
        assert secret not in stored
    # The key is derived from the secret key, which the database does not hold.
    user = ImportPreview.objects.get().user
    settings.SECRET_KEY = "another-secret-key-" + "x" * 50
    assert take_preview(user=user, token=pending) is None


def test_a_preview_outlives_a_rotation_of_the_secret_key(boss, account, settings):
    pending = preview(boss, account)
    user = ImportPreview.objects.get().user

    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the-new-secret-key-" + "x" * 50

    _, request = take_preview(user=user, token=pending)
    assert "correct-horse-battery-staple" in request["params"]["profiles_data"]


def test_a_confirmed_preview_is_removed(boss, account):
    confirm(boss, preview(boss, account))

    assert not ImportPreview.objects.exists()


def test_an_expired_preview_cannot_be_confirmed_and_is_purged(boss, account, settings):
    settings.LOYALTY = {**settings.LOYALTY, "IMPORT_PREVIEW_SECONDS": 0}
    first = preview(boss, account)

    assert confirm(boss, first) == [PENDING_GONE]
    assert not Customer.objects.exists()
    preview(boss, account)  # making a preview purges the expired ones
    assert list(ImportPreview.objects.values_list("token", flat=True)) != [first]
    call_command("purge_import_previews", stdout=open("/dev/null", "w"))
    assert not ImportPreview.objects.exists()


def test_an_unexpired_preview_survives_the_purge(boss, account):
    pending = preview(boss, account)

    call_command("purge_import_previews", stdout=open("/dev/null", "w"))

    assert list(ImportPreview.objects.values_list("token", flat=True)) == [pending]
