"""Accounts (shops), the users who belong to them, and their API keys."""

import hashlib
import secrets

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models


class AccountQuerySet(models.QuerySet):
    def visible_to(self, user) -> "AccountQuerySet":
        """The accounts a staff user may see in the admin: those of their active memberships
        (core.admin_scoping asks this of settings.ACCOUNT_MODEL)."""
        return self.filter(memberships__user=user, memberships__is_active=True)


# An account is named in the API by its slug or its owner id (`account_id`). The two never
# look alike: an owner id is exactly 16 digits and a slug never is, both enforced by the
# database, so one value can name only one account, whichever column holds it.
OWNER_ID_PATTERN = r"^[0-9]{16}$"
OWNER_ID_FORM = "The owner id is 16 digits."
SLUG_LIKE_OWNER_ID = (
    "A slug cannot be 16 digits: account_id would read it as an owner id. Add a letter."
)


class Account(models.Model):
    """A shop: the tenant every customer, campaign and undo state belongs to."""

    slug = models.SlugField(
        max_length=64,
        unique=True,
        validators=[RegexValidator(OWNER_ID_PATTERN, SLUG_LIKE_OWNER_ID, inverse_match=True)],
    )
    owner_id = models.CharField(
        max_length=16,
        unique=True,
        validators=[RegexValidator(OWNER_ID_PATTERN, OWNER_ID_FORM)],
    )
    name = models.CharField(max_length=200, blank=True)
    # API 1.5 lets headers name custom_field_1..N; N is per account.
    custom_field_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner_id__regex=OWNER_ID_PATTERN),
                name="account_owner_id_16_digits",
            ),
            models.CheckConstraint(
                condition=~models.Q(slug__regex=OWNER_ID_PATTERN),
                name="account_slug_not_an_owner_id",
                violation_error_message=SLUG_LIKE_OWNER_ID,
            ),
        ]

    def __str__(self) -> str:
        # As staff know it, in every choice, list and title the admin makes of an account
        # (a shop owner read "greatwidgets" in the account dropdowns and columns).
        return self.display_name

    @property
    def display_name(self) -> str:
        """The account as shop staff know it: its name, or its slug if it has none."""
        return self.name or self.slug


class Membership(models.Model):
    """A Django user's membership of an account, with the role that decides what they may do."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        IMPORTER = "importer", "Importer"
        STAFF = "staff", "Staff (no API imports)"

    IMPORT_ROLES = (Role.OWNER, Role.IMPORTER)

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STAFF)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "user"], name="membership_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.account} ({self.role})"

    @property
    def can_import(self) -> bool:
        return self.is_active and self.role in self.IMPORT_ROLES


def hash_api_key(secret: str) -> str:
    """API keys are random, high-entropy secrets: one SHA-256 is enough to store them safely
    and lets a request find its key with one indexed lookup instead of a slow password hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKey(models.Model):
    """A per-user secret for API version 1.5 (`user_api_key`), stored only as a hash."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=8, help_text="First characters, to recognise the key.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"
        verbose_name_plural = "API keys"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def new_secret(cls) -> str:
        return secrets.token_hex(20)


class AuthFailure(models.Model):
    """The failed credential checks of one (user id, client address) or one client address
    in the current window, and the checks running now. Counted by accounts/throttle.py with
    atomic upserts, so the limit holds across threads, worker processes and servers."""

    # "pair:" or "address:" and an HMAC of the value: the table holds no user id or address.
    subject = models.CharField(max_length=80, unique=True)
    failures = models.PositiveIntegerField(default=0)
    checking = models.PositiveIntegerField(default=0)
    window_started = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.subject[:16]}…: {self.failures} failed since {self.window_started}"


class UserSlowdown(models.Model):
    """The password checks of one user id, from every address it has not logged in from,
    in the current window: past a limit each further check waits a growing delay
    (accounts/slowdown.py). Times are epoch milliseconds, so the atomic upsert can add a
    delay to them in plain SQL on SQLite and PostgreSQL alike."""

    # "user:" and an HMAC of the user id: the table holds no user id.
    subject = models.CharField(max_length=80, unique=True)
    checks = models.PositiveIntegerField(default=0)
    window_started_ms = models.BigIntegerField(db_index=True)
    # No check before this time once `checks` is at the limit, and the delay after the next.
    next_check_ms = models.BigIntegerField()
    delay_ms = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.subject[:16]}…: {self.checks} checks"


class KnownAddress(models.Model):
    """An address block a user id logged in from with its password, recently: its checks
    are never slowed down by other addresses' guesses (accounts/slowdown.py)."""

    # "known:" and an HMAC of (user id, address block).
    subject = models.CharField(max_length=80, unique=True)
    last_login_ms = models.BigIntegerField(db_index=True)

    def __str__(self) -> str:
        return f"{self.subject[:16]}… since {self.last_login_ms}"
