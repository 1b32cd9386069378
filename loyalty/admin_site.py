"""The admin site, whose Home (and sidebar) reads for a shop's staff: the shop's own things
first (customers and their imports, campaigns, the accounts and who works in them), then
the technical ones under a heading that says so (docs/decisions.md, "The admin's Home")."""

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest

TECHNICAL = "Technical: API keys and platform sign-ins"
# Home's sections, in order: (heading, a label for its HTML ids, its models as
# "app_label.ModelName"). A model one may see and no section names keeps its app's own
# section after these, so nothing registered is ever left off Home.
SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "Customers and imports",
        "customers",
        ("customers.Customer", "customers.UndoState", "jobs.ImportJob"),
    ),
    ("Campaigns", "campaigns", ("campaigns.Campaign",)),
    ("Accounts and their staff", "accounts", ("accounts.Account", "accounts.Membership")),
    # API keys are for integrations; users and groups are the platform operator's (only a
    # superuser sees them: accounts/admin.py, OperatorsOnly).
    (TECHNICAL, "technical", ("accounts.ApiKey", "auth.User", "auth.Group")),
)


def home_sections(app_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Django's app list (the models `request`'s user may see, by app) regrouped into
    SECTIONS, each section only with the models of it the user may see."""
    found = {
        f"{app['app_label']}.{model['object_name']}": (app, model)
        for app in app_list
        for model in app["models"]
    }
    sections = []
    for heading, label, names in SECTIONS:
        entries = [found.pop(name) for name in names if name in found]
        if not entries:
            continue
        apps = {app["app_label"]: app for app, _ in entries}
        only = next(iter(apps.values())) if len(apps) == 1 else None
        sections.append(
            {
                "name": heading,
                "app_label": label,
                # A section of one app heads to that app's page; a mixed one has no page.
                "app_url": only["app_url"] if only else "",
                "has_module_perms": True,
                "models": [model for _, model in entries],
            }
        )
    left = {id(model) for _, model in found.values()}
    for app in app_list:
        models = [model for model in app["models"] if id(model) in left]
        if models:
            sections.append({**app, "models": models})
    return sections


class LoyaltyAdminSite(admin.AdminSite):
    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list:
        """Home's and the sidebar's sections (home_sections); an app's own page lists its
        models in the sections' order (Accounts before API keys)."""
        app_list = super().get_app_list(request, app_label)
        if app_label is None:
            return home_sections(app_list)
        for app in app_list:
            app["models"].sort(key=lambda model: _place(app["app_label"], model))
        return app_list


# Each model's place on Home, for the order of an app's own page.
_PLACES = {name: place for place, name in enumerate(n for *_, names in SECTIONS for n in names)}


def _place(app_label: str, model: dict[str, Any]) -> int:
    return _PLACES.get(f"{app_label}.{model['object_name']}", len(_PLACES))


class LoyaltyAdminConfig(AdminConfig):
    default_site = "loyalty.admin_site.LoyaltyAdminSite"
