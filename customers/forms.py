"""Forms of the customers admin: editing a customer, and confirming a rollback."""

from django import forms
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError

from .columns import ADMIN_FORM_COLUMNS, MAX_LENGTHS
from .models import Customer
from .rollback_messages import OVERWRITE_LABEL
from .values import has_control_character, trimmed

CONTROL_CHARACTER = "Contains a control character: only tabs and line breaks are allowed."
# The form's text fields, trimmed and checked as an import trims and checks them.
TEXT_FIELDS = tuple(column for column in ADMIN_FORM_COLUMNS if column in MAX_LENGTHS)


def refuse_control_characters(value: str) -> None:
    if has_control_character(value):
        raise ValidationError(CONTROL_CHARACTER, code="control_character")


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


class CustomerAdminForm(forms.ModelForm):
    """Every profile field but the username and the PIN, which the admin only shows; the
    password is never shown, only replaced through `new_password`."""

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
        fields = ADMIN_FORM_COLUMNS
        field_classes = dict.fromkeys(TEXT_FIELDS, ProfileTextField)

    def clean_card_number(self) -> str | None:
        # NULL, never '': the unique constraint ignores NULLs, and the database refuses ''.
        return self.cleaned_data["card_number"] or None

    def clean_custom_fields(self) -> dict:
        # An emptied box means no custom fields: the column holds {}, never NULL.
        custom_fields = self.cleaned_data["custom_fields"] or {}
        if any(has_control_character(text) for text in _texts(custom_fields)):
            raise ValidationError(CONTROL_CHARACTER, code="control_character")
        return custom_fields

    def save(self, commit: bool = True) -> Customer:
        password = self.cleaned_data.get("new_password")
        if password:
            self.instance.customer_password = make_password(password)
        return super().save(commit)


def _texts(value) -> list[str]:
    """Every string in a JSON value, its keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in [key, *_texts(item)]]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return []


class RollbackForm(forms.Form):
    overwrite_conflicts = forms.BooleanField(label=OVERWRITE_LABEL, required=False)
    # A digest of the conflicts the operator saw (customers.rollback.conflict_overview, empty
    # for none): if they differ by the time of the POST, the page is shown again rather
    # than overwriting changes nobody confirmed. Fixed size, whatever the import's size.
    seen_conflicts = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
