"""The browsable API reference: Redoc, served from the drf-spectacular-sidecar package (no CDN),
on a page of our own (the package's default page loads web fonts from the internet). The schema
is Chinese (settings.SPECTACULAR_SETTINGS, the views' extend_schema, the serializers' help_text);
Redoc's own labels are replaced through its `labels` option. Its other chrome ("query
Parameters", "Authorizations", "required") is fixed English text in the bundle and stays."""

from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

# Redoc's labels (redoc.standalone.js, `labels` option): key → our text.
REDOC_LABELS = {
    "enum": _("可选值"),
    "enumSingleValue": _("取值"),
    "enumArray": _("各项"),
    "default": _("默认值"),
    "deprecated": _("已废弃"),
    "example": _("示例"),
    "examples": _("示例"),
    "recursive": _("递归"),
    "arrayOf": _("数组，元素为"),
    "webhook": _("事件"),
    "const": _("取值"),
    "noResultsFound": _("没有找到"),
    "download": _("下载"),
    "downloadSpecification": _("下载OpenAPI规范"),
    "responses": _("响应"),
    "callbackResponses": _("回调响应"),
    "requestSamples": _("请求示例"),
    "responseSamples": _("响应示例"),
}


class ApiDocsView(TemplateView):
    template_name = "exchange/api_docs.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            schema_url=reverse("api:schema"),
            redoc_js=static("drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"),
            redoc_labels={key: str(text) for key, text in REDOC_LABELS.items()},
            **kwargs,
        )
