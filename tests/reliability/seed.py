"""Seed a reliability server's database: the demo account, its importer (password and API
key, as in tests/conftest.py) and a points campaign. Run as `python -m
tests.reliability.seed` with the server's environment; prints what it made as JSON."""

import json

import django


def main() -> None:
    django.setup()
    from tests.conftest import API_KEY, PASSWORD, POINTS, USER_ID
    from tests.factories import make_account, make_campaign, make_member

    account = make_account()
    user = make_member(account=account, username=USER_ID, password=PASSWORD, api_key=API_KEY)
    campaign = make_campaign(account=account, campaign_id=POINTS)
    print(json.dumps({"account": account.pk, "user": user.pk, "campaign": campaign.pk}))


if __name__ == "__main__":
    main()
