"""Forms of the customers admin: editing a customer, and confirming a rollback."""

from django import forms
from django.contrib.auth.hashers import make_password

from .columns import ADMIN_FORM_COLUMNS, MAX_LENGTHS
from .models import Customer

OVERWRITE_LABEL = "Overwrite later changes to these customers"


class CustomerAdminForm(forms.ModelForm):
    """Every profile field but the username and the PIN, which the admin only shows; the
    password is never shown, only replaced through `new_password`."""

    new_password = forms.CharField(
        label="Set new password",
        required=False,
        strip=False,
        max_length=MAX_LENGTHS["customer_password"],
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored hashed. Leave blank to keep the current password.",
    )

    class Meta:
        model = Customer
        fields = ADMIN_FORM_COLUMNS

    def clean_card_number(self) -> str | None:
        # NULL, never '': the unique constraint ignores NULLs, and the database refuses ''.
        return self.cleaned_data["card_number"] or None

    def save(self, commit: bool = True) -> Customer:
        password = self.cleaned_data.get("new_password")
        if password:
            self.instance.customer_password = make_password(password)
        return super().save(commit)


class RollbackForm(forms.Form):
    overwrite_conflicts = forms.BooleanField(label=OVERWRITE_LABEL, required=False)
    # The conflicts the operator saw; if they differ by the time of the POST, the page is
    # shown again rather than overwriting changes nobody confirmed.
    seen_conflicts = forms.CharField(required=False, widget=forms.HiddenInput)
