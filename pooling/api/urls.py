from importlib import import_module

from django.urls import include, path

app_name = "pooling_api"

# Each area of the marketplace keeps its routes in pooling/api/<area>.py.
AREAS = ("needs", "feed", "pools", "settlement", "console")

urlpatterns = [
    path("", include(import_module(f"pooling.api.{area}").urlpatterns))
    for area in AREAS
]
