"""The admin's filter by account, each account by its name as its staff know it."""

from django.contrib import admin


class AccountFilter(admin.RelatedOnlyFieldListFilter):
    """Django's filter of the accounts the list holds, each by its display name (its slug
    when it has none) rather than by its slug, which is the platform's and the API's."""

    def field_choices(self, field, request, model_admin):
        ids = (
            model_admin.get_queryset(request)
            .distinct()
            .values_list(f"{self.field_path}__pk", flat=True)
        )
        accounts = field.remote_field.model.objects.filter(pk__in=ids)
        return sorted(
            ((account.pk, account.display_name) for account in accounts),
            key=lambda choice: choice[1].lower(),
        )
