from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from pooling.web.views import home

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.web.urls")),
    path("", include("pooling.web.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    # ReDoc styles itself at run time: its page alone allows inline styles (never scripts).
    path("api/redoc/", csp_update({"style-src": ["'unsafe-inline'"]})(
        SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html")),
         name="redoc"),
    path("api/v1/", include("accounts.api.urls")),
    path("api/v1/", include("pooling.api.urls")),
]

handler400 = "coop.api.views.bad_request"
handler403 = "coop.api.views.permission_denied"
handler404 = "coop.api.views.page_not_found"
handler500 = "coop.api.views.server_error"
