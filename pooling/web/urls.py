from django.urls import include, path

from . import views

app_name = "pooling"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("console/", views.console, name="console"),
    *[path("", include(area.urlpatterns)) for area in views.AREAS],
]
