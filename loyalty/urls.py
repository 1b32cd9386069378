from django.apps import apps
from django.contrib import admin
from django.urls import path

from api.docs import DocsView, SchemaView
from api.views import ApiView
from loyalty.health import healthz

# Third-party apps' own admin pages are an operator's tools, not the shop's: the admin
# shows none of them (docs/deploy.md, "Operator tools", says where to look instead).
OPERATOR_APPS = ("axes", "django_rq", "django_tasks_database")
for label in OPERATOR_APPS:
    for model in apps.get_app_config(label).get_models():
        if admin.site.is_registered(model):
            admin.site.unregister(model)

# A request Django refuses before any view (a Host not allowed) gets the API's envelope on
# the API's paths.
handler400 = "api.views.bad_request"

urlpatterns = [
    path("api", ApiView.as_view(), name="api"),
    path("api.php", ApiView.as_view(), name="api-php"),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", DocsView.as_view(), name="api-docs"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
