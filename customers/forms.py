"""Forms of the customers admin: editing a customer, and confirming a rollback.

The customer form checks every value with the import's own rules (customers/rules.py,
customers/values.py): what it saves, an export writes and an import takes back unchanged.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from .code_capitals import OTHER_CAPITALS, other_capitals
from .columns import ADMIN_FORM_COLUMNS, CUSTOM_FIELDS, MAX_LENGTHS
from .date_orders import read_typed_date
from .line_words import form_date_words, form_words
from .models import Customer
from .rollback_messages import OVERWRITE_LABEL
from .rules import VALUE_RULES, ValueRefused, max_length, not_in_future
from .values import has_control_character, trimmed

CONTROL_CHARACTER = "Contains a control character: only tabs and line breaks are allowed."
CUSTOM_FIELD_LABEL = "custom_field_{n}"
CUSTOM_FIELD_HELP = "API 1.5 header custom_field_{n} of this account."
# The form's model fields: the account's custom_field_N are its own fields (custom_fields).
FORM_COLUMNS = tuple(column for column in ADMIN_FORM_COLUMNS if column != CUSTOM_FIELDS)
# The form's text fields, trimmed and checked as an import trims and checks them.
TEXT_FIELDS = tuple(column for column in FORM_COLUMNS if column in MAX_LENGTHS)


def refuse_control_characters(value: str) -> None:
    if has_control_character(value):
        raise ValidationError(CONTROL_CHARACTER, code="control_character")


def rule_validator(rule: Callable[[str], object]) -> Callable[[str], None]:
    """A form validator that refuses what `rule` (customers/rules.py) refuses."""

    def validate(value: str) -> None:
        try:
            rule(value)
        except ValueRefused as refused:
            raise ValidationError(form_words(refused.message, value), code="rule") from None

    return validate


class ProfileTextField(forms.CharField):
    """A profile value trimmed and checked as an import trims and checks it: a control
    character is refused, at either end too, rather than stored or trimmed away unseen."""

    default_validators = [refuse_control_characters]

    def __init__(self, **kwargs):
        super().__init__(**{**kwargs, "strip": False})

    def to_python(self, value):
        value = super().to_python(value)
        if isinstance(value, str):
            value = trimmed(value)
        return self.empty_value if value in self.empty_values else value


class ProfileDateField(forms.DateField):
    """custom_date in the orders an import reads (customers/date_orders.py): year-month-day,
    or 14/07/1970, whose one real date is day/month/year; then the import's rule (a real
    date). Refused in shop words (the dates an ambiguous value reads as, written
    year-month-day), not the API's "custom_date must be YYYY-MM-DD"."""

    def to_python(self, value):
        if isinstance(value, str):
            value = trimmed(value)
            typed = read_typed_date(value)
            try:
                return VALUE_RULES["custom_date"](typed.isoformat() if typed else value)
            except ValueRefused:
                raise ValidationError(form_date_words(value), code="invalid") from None
        return super().to_python(value)


class CustomerAdminForm(forms.ModelForm):
    """Every profile field but the username and the PIN, which the admin only shows; the
    password is never shown, only replaced through `new_password`. The account's API 1.5
    custom fields are fields of their own (custom_field_1..N, `custom_field_names`)."""

    # custom_field_1..N of the customer's account; set by custom_fields_form.
    custom_field_names: tuple[str, ...] = ()

    new_password = forms.CharField(
        label="Set new password",
        required=False,
        strip=False,
        max_length=MAX_LENGTHS["customer_password"],
        validators=[refuse_control_characters],
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored hashed. Leave blank to keep the current password.",
    )

    class Meta:
        model = Customer
        fields = FORM_COLUMNS
        field_classes = {
            **dict.fromkeys(TEXT_FIELDS, ProfileTextField),
            "custom_date": ProfileDateField,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, rule in VALUE_RULES.items():
            if name in TEXT_FIELDS and name in self.fields:
                self.fields[name].validators.append(rule_validator(rule))
        for name in self.custom_field_names:
            if name in self.fields:
                self.fields[name].initial = self.instance.custom_fields.get(name, "")

    def clean_custom_date(self):
        # A date typed in; one an API import stored is kept, so the rest of the customer
        # can still be edited (the API takes any real date: customers/rules.py).
        date = self.cleaned_data["custom_date"]
        if "custom_date" in self.changed_data:
            try:
                typed = str(self.data.get(self.add_prefix("custom_date"), "")).strip()
                not_in_future(date, today=timezone.localdate(), typed=typed)
            except ValueRefused as refused:
                raise ValidationError(refused.message, code="future") from None
        return date

    def clean_card_number(self) -> str | None:
        # NULL, never '': the unique constraint ignores NULLs, and the database refuses ''.
        return self.cleaned_data["card_number"] or None

    def clean(self) -> dict[str, Any] | None:
        cleaned_data = super().clean()
        self._refuse_other_capitals()
        # custom_fields is not a field of the form: the instance takes its new value here.
        custom = dict(self.instance.custom_fields or {})
        for name in self.custom_field_names:
            if name not in self.cleaned_data:
                continue
            # As an import writes custom_field_N: a blank value removes the key.
            if value := self.cleaned_data[name]:
                custom[name] = value
            else:
                custom.pop(name, None)
        self.instance.custom_fields = custom
        return cleaned_data

    def _refuse_other_capitals(self) -> None:
        # The contract tells c006 from C006; staff, who search both at once, would not see
        # two customers (customers/code_capitals.py).
        account, code = self.cleaned_data.get("account"), self.cleaned_data.get("code")
        if account is None or not code:
            return
        existing = other_capitals(account=account, code=code, customer_id=self.instance.pk)
        if existing is not None:
            self.add_error(
                "code",
                ValidationError(OTHER_CAPITALS.format(existing=existing), code="other_capitals"),
            )

    def save(self, commit: bool = True) -> Customer:
        password = self.cleaned_data.get("new_password")
        if password:
            self.instance.customer_password = make_password(password)
        return super().save(commit)


def custom_fields_form(custom_field_count: int) -> type[CustomerAdminForm]:
    """CustomerAdminForm with a text field for each of an account's custom_field_1..N,
    checked as an import checks a custom_field_N value."""
    names = tuple(f"custom_field_{n}" for n in range(1, custom_field_count + 1))
    attributes: dict[str, object] = {
        name: ProfileTextField(
            label=CUSTOM_FIELD_LABEL.format(n=n),
            help_text=CUSTOM_FIELD_HELP.format(n=n),
            required=False,
            max_length=max_length(name),
        )
        for n, name in enumerate(names, start=1)
    }
    attributes["custom_field_names"] = names
    attributes["__module__"] = __name__
    return type("CustomerAdminForm", (CustomerAdminForm,), attributes)


class RollbackForm(forms.Form):
    overwrite_conflicts = forms.BooleanField(label=OVERWRITE_LABEL, required=False)
    # A digest of the conflicts the operator saw (customers.rollback.conflict_overview, empty
    # for none): if they differ by the time of the POST, the page is shown again rather
    # than overwriting changes nobody confirmed. Fixed size, whatever the import's size.
    seen_conflicts = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
