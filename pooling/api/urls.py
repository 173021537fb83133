from django.urls import include, path

from . import feed, needs, pools, settlement

app_name = "pooling_api"

urlpatterns = [
    path("", include(area.urlpatterns)) for area in (needs, feed, pools, settlement)
]
