"""Settlement pages: a firm's statement (page and CSV), a settlement's explanation, and the
coordinator's release of a held settlement (a CSRF-protected form post with a reason).
"""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from accounts.access import firm_required
from coop.errors import ApplicationError
from pooling.domain.money import quantize
from pooling.models import Settlement, SettlementShare
from pooling.selectors.settlement import (
    Statement,
    dispute_window,
    previous_shares,
    settlement_documents,
    settlement_shares_for,
    settlement_visible,
    settlements_held,
    settlements_recent,
    statement_for_firm,
    statement_period,
)
from pooling.services.settlement import settlement_release

CSV_COLUMNS = ["settled_on", "pool", "version", "status", "invoice_number", "documents",
               "currency", "amount",
               "standalone_cost", "saving", "billing_currency", "billing_amount", "fx_rate",
               "billing_saving"]


def _period(request: HttpRequest) -> tuple[dt.date, dt.date, dict[str, str]]:
    errors: dict[str, str] = {}
    parsed: dict[str, dt.date | None] = {}
    for name in ("from", "to"):
        raw = (request.GET.get(name) or "").strip()
        try:
            value = parse_date(raw) if raw else None
        except ValueError:
            value = None
        if raw and value is None:
            errors[name] = "Enter a date as YYYY-MM-DD."
        parsed[name] = value
    date_from, date_to = statement_period(parsed["from"], parsed["to"])
    if date_from > date_to:
        errors["from"] = "Must be on or before 'to'."
        date_from = date_to
    return date_from, date_to, errors


def _statement(request: HttpRequest) -> tuple[Statement, dict[str, str]]:
    date_from, date_to, errors = _period(request)
    statement = statement_for_firm(firm=request.firm,  # type: ignore[attr-defined]
                                   date_from=date_from, date_to=date_to)
    return statement, errors


@firm_required
def statement_page(request: HttpRequest) -> HttpResponse:
    statement, errors = _statement(request)
    return render(request, "pooling/settlement/statement.html",
                  {"statement": statement, "errors": errors,
                   "csv_query": request.GET.urlencode()},
                  status=400 if errors else 200)


@firm_required
def statement_csv(request: HttpRequest) -> HttpResponse:
    statement, errors = _statement(request)
    if errors:
        return HttpResponse("; ".join(f"{k}: {v}" for k, v in errors.items()), status=400,
                            content_type="text/plain")
    response = HttpResponse(content_type="text/csv")
    name = f"statement-{statement.date_from}-{statement.date_to}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for line in statement.lines:
        writer.writerow([_cell(getattr(line, c)) for c in CSV_COLUMNS])
    return response


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return value


@login_required
def settlement_detail(request: HttpRequest, settlement_id: int) -> HttpResponse:
    coordinator = bool(getattr(request.user, "is_coordinator", False))
    firm = request.firm or None  # type: ignore[attr-defined]
    settlement = settlement_visible(settlement_id=settlement_id, firm=firm,
                                    coordinator=coordinator)
    if settlement is None:
        raise Http404("No such settlement.")
    shares = _shown(settlement_shares_for(settlement=settlement, firm=firm,
                                          coordinator=coordinator))
    before = previous_shares(settlement=settlement, firm=firm, coordinator=coordinator)
    _shown(list(before.values()))
    for share in shares:
        share.before = before.get(share.member_id)  # type: ignore[attr-defined]
    _shown_settlements([settlement])
    return render(request, "pooling/settlement/detail.html",
                  {"settlement": settlement, "shares": shares, "is_coordinator": coordinator,
                   "documents": settlement_documents(settlement),
                   "window": dispute_window(pool_id=settlement.pool_id)})


@require_POST
@login_required
def settlement_release_view(request: HttpRequest, settlement_id: int) -> HttpResponse:
    if not getattr(request.user, "is_coordinator", False):
        raise Http404("No such settlement.")
    try:
        settlement_release(settlement_id=settlement_id, actor=request.user,
                           reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        for message in exc.message_dict.get("reason", exc.messages):
            messages.error(request, message)
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise Http404("No such settlement.") from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, "The settlement was released and posted.")
    if request.POST.get("back") == "held":
        return redirect("pooling:console-held")
    return redirect(reverse("pooling:console") + "#settlement")


def _shown(shares: list[SettlementShare]) -> list[SettlementShare]:
    """Amounts in their currency's minor unit for display (JPY 27246, KWD 76.805)."""
    for share in shares:
        share.amount = quantize(share.amount, share.currency)
        share.billing_amount = quantize(share.billing_amount, share.billing_currency)
        if share.standalone_cost is not None:
            share.standalone_cost = quantize(share.standalone_cost, share.currency)
        if share.saving is not None:
            share.saving = quantize(share.saving, share.currency)
    return shares


def _shown_settlements(settlements: list[Settlement]) -> list[Settlement]:
    for settlement in settlements:
        settlement.total = quantize(settlement.total, settlement.currency)
    return settlements


urlpatterns = [
    path("statements/", statement_page, name="statements"),
    path("statements.csv", statement_csv, name="statements-csv"),
    path("settlements/<int:settlement_id>/", settlement_detail, name="settlement-detail"),
    path("console/settlements/<int:settlement_id>/release/", settlement_release_view,
         name="settlement-release"),
]


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    """The firm's latest shares on the dashboard."""
    shares = (SettlementShare.objects.filter(firm=request.firm,  # type: ignore[attr-defined]
                                             settlement__status="completed")
              .select_related("settlement__pool__programme").order_by("-settlement__completed_at")[:5])
    return {"settlement_recent_shares": _shown(list(shares))}


def console_context(request: HttpRequest) -> dict[str, Any]:
    """Held settlements waiting for a coordinator, and the latest ones posted."""
    return {"settlements_held": _shown_settlements(list(settlements_held())),
            "settlements_recent": _shown_settlements(list(settlements_recent()))}
