"""Small factory helpers for the tests: one row each, keyword arguments only, defaults that
make a valid row, and every other model field passed through `**fields`. Plain functions on
purpose: a test reads exactly what it made."""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from accounts.models import Account, ApiKey, Membership, hash_api_key
from campaigns.models import BuyxItem, Campaign, Enrollment, Transaction
from customers.models import Customer, UndoChunk, UndoState


def make_account(
    *, slug: str = "greatwidgets", owner_id: str = "1000000000000001", **fields
) -> Account:
    return Account.objects.create(slug=slug, owner_id=owner_id, **fields)


def make_user(
    *, username: str, password: str | None = None, api_key: str | None = None, **fields
) -> AbstractBaseUser:
    """A user (no usable password unless given), with an API key when `api_key` is given."""
    user = get_user_model().objects.create_user(username, password=password, **fields)
    if api_key is not None:
        ApiKey.objects.create(user=user, prefix=api_key[:8], key_hash=hash_api_key(api_key))
    return user


def make_membership(
    *, account: Account, user: AbstractBaseUser, role: str = Membership.Role.IMPORTER, **fields
) -> Membership:
    """An active membership; the default role may import."""
    return Membership.objects.create(account=account, user=user, role=role, **fields)


def make_member(
    *,
    account: Account,
    username: str,
    password: str | None = None,
    api_key: str | None = None,
    role: str = Membership.Role.IMPORTER,
    **fields,
) -> AbstractBaseUser:
    """A new user who is an active member of `account` (see make_user, make_membership)."""
    user = make_user(username=username, password=password, api_key=api_key, **fields)
    make_membership(account=account, user=user, role=role)
    return user


def make_campaign(
    *, account: Account, campaign_id: str, type: str = Campaign.Type.POINTS, **fields
) -> Campaign:
    return Campaign.objects.create(account=account, campaign_id=campaign_id, type=type, **fields)


def make_item(*, campaign: Campaign, name: str) -> BuyxItem:
    """An item of a buyx campaign."""
    return BuyxItem.objects.create(campaign=campaign, name=name)


def make_customer(
    *,
    account: Account,
    code: str = "C1",
    created_at: datetime.datetime | None = None,
    updated_at: datetime.datetime | None = None,
    **fields,
) -> Customer:
    """A customer with blank profile fields unless given; created and updated now unless
    given (updated_at defaults to created_at)."""
    created_at = created_at or timezone.now()
    return Customer.objects.create(
        account=account,
        code=code,
        created_at=created_at,
        updated_at=updated_at or created_at,
        **fields,
    )


def make_enrollment(
    *,
    campaign: Campaign,
    customer: Customer | int,
    created_at: datetime.datetime | None = None,
    **fields,
) -> Enrollment:
    """`customer` is a customer or its primary key."""
    return Enrollment.objects.create(
        campaign=campaign,
        customer_id=getattr(customer, "pk", customer),
        created_at=created_at or timezone.now(),
        **fields,
    )


def make_transaction(
    *,
    campaign: Campaign,
    customer: Customer,
    amount: Decimal | int,
    kind: str = Transaction.Kind.CREDIT,
    created_at: datetime.datetime | None = None,
    **fields,
) -> Transaction:
    """A ledger entry, a credit unless `kind` says otherwise."""
    return Transaction.objects.create(
        campaign=campaign,
        customer=customer,
        kind=kind,
        amount=amount,
        created_at=created_at or timezone.now(),
        **fields,
    )


def make_undo_state(
    *,
    account: Account,
    source: str = UndoState.Source.API,
    created_at: datetime.datetime | None = None,
    chunks: Iterable[dict] = (),
    **fields,
) -> UndoState:
    """An undo state written directly, with one undo chunk per payload in `chunks`."""
    state = UndoState.objects.create(
        account=account, source=source, created_at=created_at or timezone.now(), **fields
    )
    for seq, payload in enumerate(chunks):
        UndoChunk.objects.create(undo_state=state, seq=seq, payload=UndoChunk.pack(payload))
    return state


def full_profile(**fields) -> dict:
    """Every profile field of a customer set (overridable), for make_customer(**full_profile())."""
    return {
        "card_number": "1001",
        "first_name": "Jane",
        "last_name": "Doe",
        "email": "jane@example.com",
        "phone": "555-0100",
        "custom_date": datetime.date(1970, 1, 2),
        "street1": "1 Main St",
        "street2": "Apt 2",
        "city": "Springfield",
        "state": "IL",
        "postal_code": "62701",
        "country": "US",
        "custom_field": "gold",
        "customer_username": "jane",
        "customer_password": make_password("old-password"),
        "customer_pin": make_password("0000"),
        "custom_fields": {"custom_field_1": "blue"},
        **fields,
    }
