from django.urls import path

from . import views

app_name = "pooling"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("console/", views.console, name="console"),
]
