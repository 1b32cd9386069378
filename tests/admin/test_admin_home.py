"""The admin's Home in a shop's order: its customers and imports, campaigns, accounts and
staff first, the technical models last under a heading that says so; the sidebar the same
(docs/decisions.md, "The admin's Home")."""

from loyalty.admin_site import TECHNICAL, home_sections


def sections(response) -> list[tuple[str, list[str]]]:
    return [
        (app["name"], [str(model["name"]) for model in app["models"]])
        for app in response.context["app_list"]
    ]


def test_home_shows_the_shops_things_first_and_the_technical_ones_last(boss):
    # A shop owner read API keys, Memberships, Groups and Background jobs before Customers.
    home = boss.get("/admin/")

    assert sections(home) == [
        ("Customers and imports", ["Customers", "Import history", "Import jobs"]),
        ("Campaigns", ["Campaigns"]),
        ("Accounts and their staff", ["Accounts", "Memberships"]),
        (TECHNICAL, ["API keys", "Users", "Groups"]),
    ]
    html = home.content.decode()
    assert '<span class="section">Customers and imports</span>' in html
    assert '<a href="/admin/campaigns/" class="section">Campaigns</a>' in html
    assert "application" not in html
    assert 'class="app-customers module current-app"' not in html


def test_shop_staff_see_their_sections_without_users_and_groups(client, staff_user):
    client.force_login(
        staff_user("view_customer", "view_undostate", "view_campaign", "add_apikey", "view_apikey")
    )

    home = client.get("/admin/")
    sidebar = client.get("/admin/customers/customer/").context["available_apps"]

    assert sections(home) == [
        ("Customers and imports", ["Customers", "Import history"]),
        ("Campaigns", ["Campaigns"]),
        (TECHNICAL, ["API keys"]),
    ]
    assert [app["name"] for app in sidebar] == [name for name, _ in sections(home)]


def test_an_app_page_still_lists_its_own_models(boss):
    page = boss.get("/admin/accounts/")

    assert sections(page) == [("Accounts", ["Accounts", "Memberships", "API keys"])]


def test_a_model_no_section_names_keeps_its_apps_section_after_them():
    other = {"object_name": "Thing", "name": "Things"}
    listed = home_sections(
        [
            {"app_label": "shop", "name": "Shop", "app_url": "/admin/shop/", "models": [other]},
            {
                "app_label": "campaigns",
                "name": "Campaigns",
                "app_url": "/admin/campaigns/",
                "models": [{"object_name": "Campaign", "name": "Campaigns"}],
            },
        ]
    )

    assert [(app["name"], app["app_url"], app["models"]) for app in listed] == [
        ("Campaigns", "/admin/campaigns/", [{"object_name": "Campaign", "name": "Campaigns"}]),
        ("Shop", "/admin/shop/", [other]),
    ]
