from importlib import import_module

from django.urls import include, path

from . import views
from .areas import AREAS

app_name = "pooling"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("console/", views.console, name="console"),
    *[path("", include(import_module(f"pooling.web.{area}").urlpatterns)) for area in AREAS],
]
