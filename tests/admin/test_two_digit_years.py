"""A date whose year has two digits (14/07/80) is refused saying so, with how to write it,
in the import's preview and on the customer page (shop owner, thirteenth run: "is not a
date written day/month/year ... nor in another order an import reads", no word of the year)."""

from django.urls import reverse

from customers.line_words import DATE_SHORT_YEAR, FORM_DATE, FORM_DATE_SHORT_YEAR
from tests.admin import customer_form, post_file
from tests.factories import make_customer


def test_the_preview_says_a_two_digit_year_must_have_four(boss, account):
    response = post_file(
        boss, account, "Code;Prénom;Date de naissance\nC1;Ann;14/07/80\n", date_order="dmy"
    )

    messages = [error.message for error in response.context["errors_shown"]]
    said = DATE_SHORT_YEAR.format(column="Column 3, Date de naissance", value="14/07/80")
    assert messages == [said]
    assert said == (
        'Column 3, Date de naissance: "14/07/80" has a year of two digits; write the year with '
        "four (14/07/1980, not 14/07/80) and upload the file again."
    )


def test_the_customer_page_says_a_two_digit_year_must_have_four(boss, account):
    ann = make_customer(account=account, code="C1", first_name="Ann")
    url = reverse("admin:customers_customer_change", args=[ann.pk])

    response = boss.post(url, customer_form(ann, custom_date="14/07/80"))

    assert response.context["adminform"].form.errors["custom_date"] == [
        FORM_DATE_SHORT_YEAR.format(value="14/07/80", form_date=FORM_DATE)
    ]
