"""A credit the admin import reads with a decimal comma (12,50 as 12.50) is quoted in its
error as the file writes it (shop owner: the preview said "12.50" of a file holding
"12,50")."""

from campaigns.models import Campaign
from tests.admin import post_file
from tests.conftest import POINTS


def test_a_refused_credit_with_a_decimal_comma_is_quoted_as_the_file_writes_it(boss, account):
    points = Campaign.objects.get(account=account, campaign_id=POINTS).display_name

    preview = post_file(boss, account, "code;auto_add\nC1;12,50\nC2;7.5\n")

    messages = [error.message for error in preview.context["errors_shown"]]
    assert messages[0].startswith(f'Column 2, auto_add: "12,50" does not fit campaign {points}')
    assert messages[1].startswith(f'Column 2, auto_add: "7.5" does not fit campaign {points}')
    assert "12.50" not in preview.content.decode()
