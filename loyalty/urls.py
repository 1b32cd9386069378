from django.contrib import admin
from django.urls import path

from api.docs import DocsView, SchemaView
from api.views import ApiView
from loyalty.health import healthz

urlpatterns = [
    path("api", ApiView.as_view(), name="api"),
    path("api.php", ApiView.as_view(), name="api-php"),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", DocsView.as_view(), name="api-docs"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
