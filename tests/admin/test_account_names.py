"""An account as its staff know it on the import history and the background jobs' pages:
by its name (its slug when it has none), in the list's column, its filter and the job's
page. The slug is the platform's and the API's (docs/decisions.md)."""

import lxml.html
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from jobs.models import ImportJob
from tests.conftest import POINTS, USER_ID
from tests.factories import make_account, make_campaign, make_membership


@pytest.fixture
def two_accounts(account, other_account):
    account.name = "Great Widgets"
    account.save()
    other_account.name = ""
    other_account.save()
    return account, other_account


def column(response, name: str) -> list[str]:
    cells = lxml.html.fromstring(response.content).xpath(
        f"//table[@id='result_list']/tbody/tr/td[contains(@class, 'field-{name}')]"
    )
    return [cell.text_content().strip() for cell in cells]


def filter_choices(response, title: str = "account") -> list[str]:
    changelist = response.context["cl"]
    spec = next(spec for spec in changelist.filter_specs if spec.title == title)
    return [choice["display"] for choice in spec.choices(changelist)]


def test_the_import_history_names_accounts_by_their_names(boss, two_accounts, run_import):
    great, other = two_accounts
    run_import(data="A1|Ann")
    make_campaign_for(other)
    run_import(data="B1|Bob", into=other)

    listing = boss.get(reverse("admin:customers_undostate_changelist"))

    assert column(listing, "account_listed") == ["otherwidgets", "Great Widgets"]
    assert filter_choices(listing) == ["All", "Great Widgets", "otherwidgets"]
    assert "greatwidgets" not in listing.content.decode()


def test_the_jobs_list_and_page_name_the_account_by_its_name(boss, two_accounts):
    great, other = two_accounts
    job = ImportJob.objects.create(
        account=great, import_request_id="r1", file_name="spring.csv", lines_total=3
    )
    ImportJob.objects.create(account=other, import_request_id="r2", lines_total=3)

    listing = boss.get(reverse("admin:jobs_importjob_changelist"))
    page = boss.get(reverse("admin:jobs_importjob_progress", args=[job.pk])).content.decode()

    assert sorted(column(listing, "account_shown")) == ["Great Widgets", "otherwidgets"]
    assert filter_choices(listing) == ["All", "Great Widgets", "otherwidgets"]
    assert "<p>Account Great Widgets, submitted" in page
    assert "greatwidgets" not in listing.content.decode() + page


def test_the_customer_list_filters_accounts_by_their_names(boss, two_accounts, run_import):
    great, other = two_accounts
    run_import(data="A1|Ann")
    make_campaign_for(other)
    run_import(data="B1|Bob", into=other)
    make_account(slug="emptyshop", owner_id="3000000000000003", name="Empty")

    listing = boss.get(reverse("admin:customers_customer_changelist"))

    assert filter_choices(listing) == ["All", "Great Widgets", "otherwidgets"]


def make_campaign_for(account) -> None:
    """`account` with the POINTS campaign and the API user as its importer."""
    make_campaign(account=account, campaign_id=POINTS)
    make_membership(account=account, user=get_user_model().objects.get(username=USER_ID))


def test_the_import_history_finds_an_account_by_the_name_it_shows(boss, two_accounts, run_import):
    great, other = two_accounts
    mine = run_import(data="A1|Ann")
    make_campaign_for(other)
    run_import(data="B1|Bob", into=other)

    great.name = "Chez Paul"
    great.save()

    found = boss.get(reverse("admin:customers_undostate_changelist"), {"q": "chez paul"})

    assert [state.pk for state in found.context["cl"].result_list] == [mine.undo_state_id]
