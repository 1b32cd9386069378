"""Seed a reliability server's database: the demo account, its importer (password and API
key, as in tests/conftest.py) and a points campaign. Run as `python -m
tests.reliability.seed` with the server's environment; prints what it made as JSON."""

import json

import django


def main() -> None:
    django.setup()
    from django.contrib.auth import get_user_model

    from accounts.models import Account, ApiKey, Membership, hash_api_key
    from campaigns.models import Campaign
    from tests.conftest import API_KEY, PASSWORD, POINTS, USER_ID

    account = Account.objects.create(slug="greatwidgets", owner_id="1000000000000001")
    user = get_user_model().objects.create_user(USER_ID, password=PASSWORD)
    Membership.objects.create(account=account, user=user, role=Membership.Role.IMPORTER)
    ApiKey.objects.create(user=user, prefix=API_KEY[:8], key_hash=hash_api_key(API_KEY))
    campaign = Campaign.objects.create(account=account, campaign_id=POINTS, type="points")
    print(json.dumps({"account": account.pk, "user": user.pk, "campaign": campaign.pk}))


if __name__ == "__main__":
    main()
