"""Load the development demo: the account, user, API key and campaigns the contract's
examples use, and an admin login. Running it again changes nothing."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Account, ApiKey, Membership, hash_api_key
from accounts.users import User
from campaigns.models import BuyxItem, Campaign

NOT_IN_DEBUG = (
    "load_demo loads development data with a known password; it runs only with DEBUG on "
    "(set DJANGO_DEBUG=1)."
)

ACCOUNT_SLUG = "greatwidgets"
ACCOUNT_OWNER_ID = "1000000000000001"
ACCOUNT_NAME = "Great Widgets"
IMPORTER_USERNAME = "john1970"
IMPORTER_PASSWORD = "1959caadac9b13dcb3"
IMPORTER_API_KEY = "1959caadac9b13dcb3"
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin"
# (campaign_id, type, name, buy-X items)
CAMPAIGNS = [
    ("898989889", Campaign.Type.POINTS, "Points", ()),
    ("13234545", Campaign.Type.EVENTS, "Visits", ()),
    ("34534554", Campaign.Type.GIFTCARD, "Gift card", ()),
    ("89898989989", Campaign.Type.BUYX, "Coffee club", ("Latte", "Muffin")),
]


class Command(BaseCommand):
    help = "Load the development demo data (account greatwidgets, user john1970). DEBUG only."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(NOT_IN_DEBUG)
        with transaction.atomic():
            account = _account()
            _importer(account)
            _admin()
            _campaigns(account)
        self._summary(account)

    def _summary(self, account: Account) -> None:
        campaigns = ", ".join(f"{cid} ({kind})" for cid, kind, _, _ in CAMPAIGNS)
        self.stdout.write(f"account: {account.slug} (owner id {account.owner_id})")
        self.stdout.write(
            f"importer: {IMPORTER_USERNAME}, password and API key {IMPORTER_PASSWORD}"
        )
        self.stdout.write(f"campaigns: {campaigns}")
        self.stdout.write(f"development-only login: {ADMIN_USERNAME} / {ADMIN_PASSWORD}")


def _account() -> Account:
    account, _ = Account.objects.update_or_create(
        slug=ACCOUNT_SLUG, defaults={"owner_id": ACCOUNT_OWNER_ID, "name": ACCOUNT_NAME}
    )
    return account


def _importer(account: Account) -> None:
    user = _user(IMPORTER_USERNAME, IMPORTER_PASSWORD)
    Membership.objects.update_or_create(
        account=account,
        user=user,
        defaults={"role": Membership.Role.IMPORTER, "is_active": True},
    )
    ApiKey.objects.update_or_create(
        key_hash=hash_api_key(IMPORTER_API_KEY),
        defaults={
            "user": user,
            "name": "Demo key",
            "prefix": IMPORTER_API_KEY[:8],
            "revoked_at": None,
        },
    )


def _admin() -> None:
    _user(ADMIN_USERNAME, ADMIN_PASSWORD, is_staff=True, is_superuser=True)


def _user(username: str, password: str, **flags: bool) -> User:
    """The active user with this known password; the hash is rewritten only if it differs."""
    user, _ = get_user_model().objects.update_or_create(
        username=username, defaults={"is_active": True, **flags}
    )
    if not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


def _campaigns(account: Account) -> None:
    for campaign_id, kind, name, items in CAMPAIGNS:
        campaign, _ = Campaign.objects.update_or_create(
            account=account,
            campaign_id=campaign_id,
            defaults={"type": kind, "name": name, "is_active": True},
        )
        for item in items:
            BuyxItem.objects.get_or_create(campaign=campaign, name=item)
