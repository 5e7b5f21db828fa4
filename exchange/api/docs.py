"""The browsable API reference: Redoc, served from the drf-spectacular-sidecar package (no CDN),
on a page of our own (the package's default page loads web fonts from the internet)."""

from django.templatetags.static import static
from django.urls import reverse
from django.views.generic import TemplateView


class ApiDocsView(TemplateView):
    template_name = "exchange/api_docs.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            schema_url=reverse("api:schema"),
            redoc_js=static("drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"),
            **kwargs,
        )
