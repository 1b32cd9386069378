"""GET /api/schema/ (the OpenAPI document) and GET /api/docs/ (Swagger UI), drf-spectacular's
views: the document is generated from ApiView and its annotations (api/schema.py), and the
page loads Swagger UI from our own static files (drf-spectacular-sidecar, served by
WhiteNoise), so it works where browsers reach nothing but this server.
"""

from __future__ import annotations

from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.views import exception_handler


class SchemaView(SpectacularAPIView):
    """The document as JSON (application/json) unless YAML is asked for (`?format=yaml` or
    an Accept header of application/yaml or application/vnd.oai.openapi)."""

    renderer_classes = [
        OpenApiJsonRenderer2,
        OpenApiJsonRenderer,
        OpenApiYamlRenderer,
        OpenApiYamlRenderer2,
    ]

    def get_exception_handler(self):
        # DRF's own: the API's handler answers in the API's envelope, about the API.
        return exception_handler


class DocsView(SpectacularSwaggerView):
    url_name = "api-schema"

    def get_exception_handler(self):
        return exception_handler
