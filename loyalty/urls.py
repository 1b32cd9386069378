from django.contrib import admin
from django.urls import path

from loyalty.api.views import ApiView

urlpatterns = [
    path("api", ApiView.as_view(), name="api"),
    path("api.php", ApiView.as_view(), name="api-php"),
    path("admin/", admin.site.urls),
]
