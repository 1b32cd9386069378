from django.contrib import admin
from django.urls import path

from api.docs import docs_page, schema_json
from api.views import ApiView
from loyalty.health import healthz

urlpatterns = [
    path("api", ApiView.as_view(), name="api"),
    path("api.php", ApiView.as_view(), name="api-php"),
    path("api/schema/", schema_json, name="api-schema"),
    path("api/docs/", docs_page, name="api-docs"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
