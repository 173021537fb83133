"""A firm's lists of its shipping demands and ad needs (search, filters, sorting, pages, CSV),
its savings page with charts, and its choice of which notifications also go by e-mail.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any

import django_filters
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from accounts.access import firm_required
from pooling.models import AdNeed, Notification, ShippingDemand
from pooling.selectors import needs as selectors
from pooling.selectors.savings import savings_for_firm
from pooling.services.notifications import email_kinds_for_firm, email_preferences_set
from pooling.web.svg import bar_chart

PAGE_SIZE = 25

DEMAND_ORDERING = (
    ("-created_at", "Newest first"), ("created_at", "Oldest first"),
    ("ready_from", "Ready date"), ("deliver_by", "Deliver-by date"),
    ("-gross_kg", "Heaviest first"), ("-volume_cbm", "Largest volume first"),
    ("reference", "Reference"),
)
AD_NEED_ORDERING = (
    ("-created_at", "Newest first"), ("created_at", "Oldest first"),
    ("flight_from", "Flight start"), ("-budget", "Largest budget first"),
    ("programme__name", "Programme"),
)

DEMAND_COLUMNS = ["id", "reference", "origin", "destination", "mode", "cargo_class", "gross_kg",
                  "volume_cbm", "ready_from", "deliver_by", "incoterm", "status", "created_at"]
AD_NEED_COLUMNS = ["id", "programme", "channel", "market", "budget", "currency", "flight_from",
                   "flight_to", "category", "status", "created_at"]


class DemandListFilter(selectors.DemandFilter):
    q = django_filters.CharFilter(method="_search", label="Search")
    sort = django_filters.OrderingFilter(
        fields=[(name.lstrip("-"), name.lstrip("-")) for name, _ in DEMAND_ORDERING],
        label="Sort by", choices=DEMAND_ORDERING, empty_label=None)

    def _search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        text = value.strip()
        return queryset.filter(Q(reference__icontains=text) | Q(origin__icontains=text)
                               | Q(destination__icontains=text) | Q(hs_code__icontains=text))


class AdNeedListFilter(selectors.AdNeedFilter):
    q = django_filters.CharFilter(method="_search", label="Search")
    sort = django_filters.OrderingFilter(
        fields=[(name.lstrip("-"), name.lstrip("-")) for name, _ in AD_NEED_ORDERING],
        label="Sort by", choices=AD_NEED_ORDERING, empty_label=None)

    def _search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        text = value.strip()
        return queryset.filter(Q(programme__name__icontains=text) | Q(market__icontains=text)
                               | Q(category__icontains=text))


LABELS = {
    "q": "Search", "lane": "Lane (e.g. CNSZX-USLAX)", "origin": "Origin", "destination": "Destination",
    "ready_from_after": "Ready from, on or after", "ready_from_before": "Ready from, on or before",
    "deliver_by_after": "Deliver by, on or after", "deliver_by_before": "Deliver by, on or before",
    "flight_from_after": "Flight starts on or after", "flight_from_before": "Flight starts on or before",
    "flight_to_after": "Flight ends on or after", "flight_to_before": "Flight ends on or before",
    "programme": "Programme id", "market": "Market (e.g. US)",
}
DATE_FILTERS = {name for name in LABELS if name.endswith(("_after", "_before"))}


def _filtered(request: HttpRequest, filterset_class: type[django_filters.FilterSet],
              queryset: QuerySet) -> tuple[django_filters.FilterSet, QuerySet]:
    data = request.GET.copy()
    data.pop("page", None)
    filterset = filterset_class(data, queryset=queryset)
    filterset.form.fields.pop("firm", None)
    for name, field in filterset.form.fields.items():
        field.label = LABELS.get(name, field.label)
        if name in DATE_FILTERS:
            field.widget.input_type = "date"  # type: ignore[attr-defined]
    rows = filterset.qs if filterset.is_valid() else queryset.none()
    if not data.get("sort"):
        rows = rows.order_by("-created_at", "-id")
    return filterset, rows


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _csv(filename: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(columns)
    writer.writerows(rows)
    return response


def _list_page(request: HttpRequest, *, template: str, filterset: Any, rows: QuerySet,
               title: str) -> HttpResponse:
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    status = 200 if filterset.is_valid() else 400
    query = _query_without_page(request)
    return render(request, template, {
        "filter": filterset, "page_obj": page, "rows": page.object_list, "title": title,
        "query": query, "filtered": bool(query),
    }, status=status)


@firm_required
def demand_list(request: HttpRequest) -> HttpResponse:
    filterset, rows = _filtered(request, DemandListFilter,
                                selectors.demands_visible(firm=request.firm))  # type: ignore[attr-defined]
    return _list_page(request, template="pooling/firm/demand_list.html", filterset=filterset,
                      rows=rows, title="Shipping demands")


@firm_required
def demand_csv(request: HttpRequest) -> HttpResponse:
    _, rows = _filtered(request, DemandListFilter,
                        selectors.demands_visible(firm=request.firm))  # type: ignore[attr-defined]
    demands: Iterable[ShippingDemand] = rows.iterator(chunk_size=500)
    return _csv("shipping-demands.csv", DEMAND_COLUMNS, (
        [d.pk, d.reference, d.origin, d.destination, d.mode, d.cargo_class, d.gross_kg,
         d.volume_cbm, d.ready_from, d.deliver_by, d.incoterm, d.status,
         d.created_at.isoformat()] for d in demands))


@firm_required
def ad_need_list(request: HttpRequest) -> HttpResponse:
    filterset, rows = _filtered(request, AdNeedListFilter,
                                selectors.ad_needs_visible(firm=request.firm))  # type: ignore[attr-defined]
    return _list_page(request, template="pooling/firm/ad_need_list.html", filterset=filterset,
                      rows=rows, title="Ad needs")


@firm_required
def ad_need_csv(request: HttpRequest) -> HttpResponse:
    _, rows = _filtered(request, AdNeedListFilter,
                        selectors.ad_needs_visible(firm=request.firm))  # type: ignore[attr-defined]
    needs: Iterable[AdNeed] = rows.iterator(chunk_size=500)
    return _csv("ad-needs.csv", AD_NEED_COLUMNS, (
        [n.pk, n.programme.name, n.programme.channel, n.market, n.budget, n.currency,
         n.flight_from, n.flight_to, n.category, n.status, n.created_at.isoformat()]
        for n in needs))


@firm_required
def savings_page(request: HttpRequest) -> HttpResponse:
    savings = savings_for_firm(firm=request.firm)  # type: ignore[attr-defined]
    charts = []
    for currency in savings.currencies:
        months = [m for m in savings.months if m.currency == currency]
        charts.append({
            "currency": currency,
            "chart": bar_chart(
                title=f"What you paid pooled against going alone, per month, in {currency}",
                categories=[m.month.strftime("%b %Y") for m in months],
                series=[("Paid pooled", "bar-paid", [m.paid for m in months]),
                        ("Alone", "bar-alone", [m.alone for m in months])],
                currency=currency),
            "months": months,
            "pools": [p for p in savings.pools if p.currency == currency],
        })
    return render(request, "pooling/firm/savings.html", {"savings": savings, "charts": charts})


@firm_required
@require_http_methods(["GET", "POST"])
def email_preferences(request: HttpRequest) -> HttpResponse:
    firm = request.firm  # type: ignore[attr-defined]
    if request.method == "POST":
        chosen = set(request.POST.getlist("kinds"))
        email_preferences_set(firm=firm, by_email={k for k, _ in Notification.Kind.choices
                                                   if k in chosen})
        messages.success(request, "E-mail choices saved.")
        return redirect("pooling:email-preferences")
    by_email = email_kinds_for_firm(firm=firm)
    return render(request, "pooling/firm/email_preferences.html", {
        "kinds": [(k, label, k in by_email) for k, label in Notification.Kind.choices],
    })


urlpatterns = [
    path("needs/demands/", demand_list, name="demand-list"),
    path("needs/demands.csv", demand_csv, name="demand-csv"),
    path("needs/ad-needs/", ad_need_list, name="ad-need-list"),
    path("needs/ad-needs.csv", ad_need_csv, name="ad-need-csv"),
    path("savings/", savings_page, name="savings"),
    path("notifications/email/", email_preferences, name="email-preferences"),
]


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    return {}


def console_context(request: HttpRequest) -> dict[str, Any]:
    return {}
