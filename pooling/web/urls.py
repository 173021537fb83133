from django.urls import include, path

from . import (
    advisor,
    console_pages,
    firm_lists,
    matching,
    needs,
    partner,
    partner_work,
    pools,
    settlement,
    views,
)

app_name = "pooling"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("console/", views.console, name="console"),
    *[path("", include(area.urlpatterns))
      for area in (needs, matching, pools, settlement, partner, partner_work, firm_lists,
                   console_pages, advisor)],
]
