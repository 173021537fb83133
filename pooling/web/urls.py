from django.urls import include, path

from . import matching, needs, partner, pools, settlement, views

app_name = "pooling"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("console/", views.console, name="console"),
    *[path("", include(area.urlpatterns)) for area in (needs, matching, pools, settlement, partner)],
]
