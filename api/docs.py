"""GET /api/schema/ (the OpenAPI document) and GET /api/docs/ (Swagger UI), drf-spectacular's
views: the document is generated from ApiView and its annotations (api/schema.py), and the
page loads Swagger UI from our own static files (drf-spectacular-sidecar, served by
WhiteNoise), so it works where browsers reach nothing but this server, and under a
Content-Security-Policy without inline scripts.
"""

from __future__ import annotations

from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
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


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI's page; its start-up script is a file of its own (`?script`), not inline,
    so the Content-Security-Policy allows scripts from this server only (settings.py)."""

    url_name = "api-schema"

    def get_exception_handler(self):
        return exception_handler
