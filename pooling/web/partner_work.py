"""Partner work on the web, the same as by API: book or decline locked pools, upload a rate
card file with a preview against the current version, offer capacity, post invoices and
credit notes with their lines, and follow each pool to settlement.

Each page calls the feed service the API calls, so the rules and field errors are the same.
Partner users act for their partners; a coordinator acts for any partner (`?partner=<id>`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Partner
from coop.errors import ApplicationError
from pooling.feed.ratecard_file import RateCardFileError, card_summary, parse_rate_card_file, template_csv
from pooling.models import Booking, Invoice, Pool, RateCard, Settlement
from pooling.models.choices import Equipment, Mode
from pooling.services.feed_bookings import booking_confirm, booking_decline
from pooling.services.feed_capacity import capacity_offer_create
from pooling.services.feed_invoices import invoice_post
from pooling.services.feed_ratecards import rate_card_upload

from .partner import _partner_only

PREVIEW_SESSION = "partner_rate_card_preview"
MAX_RATE_CARD_FILE = 2 * 1024 * 1024
LINE_ROWS = 6


def _url(name: str, partner: Partner, **kwargs: Any) -> str:
    return f"{reverse(f'pooling:{name}', kwargs=kwargs or None)}?partner={partner.pk}"


def _errors(exc: Exception) -> dict[str, list[str]]:
    if isinstance(exc, ApplicationError):
        return exc.fields or {"__all__": [exc.message]}
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
    if isinstance(exc, ValidationError):
        return {"__all__": [str(m) for m in exc.messages]}
    return {"__all__": [str(exc)]}


def _apply(form: forms.Form, exc: Exception) -> None:
    for name, messages_ in _errors(exc).items():
        field = name if name in form.fields else None
        for message in messages_:
            form.add_error(field, message)


def _pool(partner: Partner, pool_id: int) -> Pool:
    pool = Pool.objects.filter(pk=pool_id, partner=partner).first()
    if pool is None:
        raise Http404("No such pool.")
    return pool


# ----------------------------------------------------------------------- pools


@require_http_methods(["GET"])
@_partner_only
def partner_pools(request: HttpRequest, partner: Partner) -> HttpResponse:
    """Every pool assigned to the partner: state, booking, invoices and settlement status."""
    pools = (Pool.objects.filter(partner=partner).exclude(state__in=["proposed", "rejected"])
             .prefetch_related(
                 Prefetch("bookings", queryset=Booking.objects.filter(status="confirmed"),
                          to_attr="confirmed"),
                 Prefetch("invoices", queryset=Invoice.objects.order_by("-created_at", "-id"),
                          to_attr="latest_invoices"),
                 Prefetch("settlements", queryset=Settlement.objects.order_by("-created_at", "-id"),
                          to_attr="latest_settlements"))
             .order_by("-updated_at", "-id"))
    return render(request, "pooling/partner/pools.html", {"partner": partner, "pools": pools})


class BookingForm(forms.Form):
    reference = forms.CharField(max_length=60, label="Booking reference")
    etd = forms.DateTimeField(label="Departure (ETD)", required=False,
                              widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    eta = forms.DateTimeField(label="Arrival (ETA)", required=False,
                              widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, name in Equipment.choices:
            self.fields[f"equipment_{code}"] = forms.IntegerField(
                label=f"{name} ({code})", min_value=0, max_value=500, required=False)

    def equipment(self) -> dict[str, int]:
        return {code: self.cleaned_data[f"equipment_{code}"] for code in Equipment.values
                if self.cleaned_data.get(f"equipment_{code}")}


class DeclineForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


@require_http_methods(["GET", "POST"])
@_partner_only
def partner_booking(request: HttpRequest, partner: Partner, pool_id: int) -> HttpResponse:
    pool = _pool(partner, pool_id)
    form, decline = BookingForm(), DeclineForm()
    status = 200
    if request.method == "POST" and request.POST.get("action") == "decline":
        decline = DeclineForm(request.POST)
        if decline.is_valid():
            try:
                booking_decline(partner=partner, pool_id=pool.pk, reason=decline.cleaned_data["reason"])
            except (ValidationError, ApplicationError) as exc:
                _apply(decline, exc)
            else:
                messages.success(request, f"You declined {pool}; the coordinator will follow up.")
                return redirect(_url("partner-pools", partner))
        status = 400
    elif request.method == "POST":
        form = BookingForm(request.POST)
        if form.is_valid():
            try:
                booking_confirm(partner=partner, pool_id=pool.pk, reference=form.cleaned_data["reference"],
                                equipment=form.equipment(), etd=form.cleaned_data["etd"],
                                eta=form.cleaned_data["eta"])
            except (ValidationError, ApplicationError) as exc:
                _apply(form, exc)
            else:
                messages.success(request, f"{pool} is booked as {form.cleaned_data['reference']}.")
                return redirect(_url("partner-pools", partner))
        status = 400
    return render(request, "pooling/partner/booking.html",
                  {"partner": partner, "pool": pool, "form": form, "decline": decline}, status=status)


# ----------------------------------------------------------------------- rate cards


def _diff(current: RateCard | None, values: dict[str, Any]) -> list[dict[str, str]]:
    new = card_summary(values)
    old = card_summary(current) if current is not None else {}
    return [{"field": key, "current": old.get(key, ""), "new": value,
             "changed": "yes" if old.get(key, "") != value else ""}
            for key, value in new.items() if value or old.get(key)]


@require_http_methods(["GET", "POST"])
@_partner_only
def partner_rate_card_upload(request: HttpRequest, partner: Partner) -> HttpResponse:
    """Upload a CSV or XLSX rate card: checked and previewed against the lane's current
    version; nothing is stored until it is published."""
    context: dict[str, Any] = {"partner": partner, "errors": {}, "preview": None}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["errors"] = {"file": ["Choose a .csv or .xlsx rate card file."]}
        elif (upload.size or 0) > MAX_RATE_CARD_FILE:
            context["errors"] = {"file": ["Keep the file under 2 MB."]}
        else:
            try:
                values = parse_rate_card_file(upload.read(), upload.name or "")
                _check(partner, values)
            except RateCardFileError as exc:
                context["errors"] = exc.errors
            except (ValidationError, ApplicationError) as exc:
                context["errors"] = _errors(exc)
            else:
                current = (RateCard.objects.filter(partner=partner, origin=values["origin"],
                                                   destination=values["destination"],
                                                   mode=values["mode"]).order_by("-version").first())
                token = secrets.token_urlsafe(16)
                request.session[PREVIEW_SESSION] = {"token": token, "partner": partner.pk,
                                                    "values": _to_session(values)}
                context["preview"] = {"token": token, "current": current, "rows": _diff(current, values),
                                      "lane": f"{values['origin']}→{values['destination']} {values['mode']}"}
        if context["errors"]:
            return render(request, "pooling/partner/rate_card_upload.html", context, status=400)
    return render(request, "pooling/partner/rate_card_upload.html", context)


def _check(partner: Partner, values: dict[str, Any]) -> None:
    """Run the upload's own validation without storing anything."""
    from django.db import transaction

    class _Preview(Exception):  # noqa: N818 - a rollback signal, not an error
        pass

    try:
        with transaction.atomic():
            rate_card_upload(partner=partner, **values)
            raise _Preview
    except _Preview:
        pass


def _to_session(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dt.date):
            out[key] = {"date": value.isoformat()}
        elif isinstance(value, Decimal):
            out[key] = {"decimal": str(value)}
        else:
            out[key] = value
    return out


def _from_session(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict) and "date" in value:
            out[key] = dt.date.fromisoformat(value["date"])
        elif isinstance(value, dict) and "decimal" in value:
            out[key] = Decimal(value["decimal"])
        else:
            out[key] = value
    return out


@require_POST
@_partner_only
def partner_rate_card_publish(request: HttpRequest, partner: Partner) -> HttpResponse:
    preview = request.session.get(PREVIEW_SESSION) or {}
    if preview.get("token") != request.POST.get("token") or preview.get("partner") != partner.pk:
        messages.error(request, "That preview has expired; upload the file again.")
        return redirect(_url("partner-rate-card-upload", partner))
    try:
        card = rate_card_upload(partner=partner, **_from_session(preview["values"]))
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, "; ".join(m for ms in _errors(exc).values() for m in ms))
        return redirect(_url("partner-rate-card-upload", partner))
    request.session.pop(PREVIEW_SESSION, None)
    messages.success(request, f"Published {card}.")
    return redirect(_url("partner-rate-card-upload", partner))


def partner_rate_card_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="rate-card-template.csv"'
    return response


# ----------------------------------------------------------------------- capacity


class CapacityForm(forms.Form):
    origin = forms.CharField(max_length=5, help_text="UN/LOCODE, e.g. CNSZX")
    destination = forms.CharField(max_length=5, help_text="UN/LOCODE or a country code")
    mode = forms.ChoiceField(choices=Mode.choices)
    departure_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    cutoff_at = forms.DateTimeField(label="Booking cut-off",
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    allotment_kg = forms.DecimalField(required=False, max_digits=12, decimal_places=3)
    allotment_cbm = forms.DecimalField(required=False, max_digits=10, decimal_places=3)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, name in Equipment.choices:
            self.fields[f"equipment_{code}"] = forms.IntegerField(
                label=f"{name} ({code})", min_value=0, max_value=500, required=False)


@require_http_methods(["GET", "POST"])
@_partner_only
def partner_capacity(request: HttpRequest, partner: Partner) -> HttpResponse:
    form = CapacityForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            equipment = {c: data[f"equipment_{c}"] for c in Equipment.values if data.get(f"equipment_{c}")}
            try:
                offer = capacity_offer_create(
                    partner=partner, origin=data["origin"].upper(), destination=data["destination"].upper(),
                    mode=data["mode"], departure_date=data["departure_date"], cutoff_at=data["cutoff_at"],
                    equipment=equipment, allotment_kg=data["allotment_kg"],
                    allotment_cbm=data["allotment_cbm"])
            except (ValidationError, ApplicationError) as exc:
                _apply(form, exc)
            else:
                messages.success(request, f"Capacity {offer.origin}→{offer.destination} departing "
                                          f"{offer.departure_date:%-d %b %Y} is offered.")
                return redirect(_url("partner-capacity", partner))
        return render(request, "pooling/partner/capacity.html",
                      {"partner": partner, "form": form, "offers": _offers(partner)}, status=400)
    return render(request, "pooling/partner/capacity.html",
                  {"partner": partner, "form": form, "offers": _offers(partner)})


def _offers(partner: Partner) -> Any:
    return partner.capacity_offers.order_by("-departure_date", "-id")[:20]


# ----------------------------------------------------------------------- invoices


class InvoiceForm(forms.Form):
    number = forms.CharField(max_length=60)
    kind = forms.ChoiceField(choices=Invoice.Kind.choices)
    corrects = forms.CharField(max_length=60, required=False,
                               help_text="For a credit note: the invoice number it corrects.")
    currency = forms.CharField(max_length=3, initial="USD")
    issue_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    total = forms.DecimalField(max_digits=14, decimal_places=2)


class InvoiceLineForm(forms.Form):
    charge_code = forms.CharField(max_length=20, required=False)
    description = forms.CharField(max_length=200, required=False)
    basis = forms.ChoiceField(choices=[("", "—"), *[(b, b) for b in (
        "per_kg", "per_wm", "per_container", "per_shipment", "percentage", "per_member")]],
        required=False)
    quantity = forms.DecimalField(max_digits=14, decimal_places=4, required=False)
    unit_price = forms.DecimalField(max_digits=14, decimal_places=4, required=False)
    amount = forms.DecimalField(max_digits=14, decimal_places=2, required=False)
    applies_to = forms.CharField(max_length=20, required=False,
                                 help_text="Percentage lines: the charge code they follow.")
    container = forms.CharField(max_length=20, required=False)


LineFormSet = forms.formset_factory(InvoiceLineForm, extra=LINE_ROWS, max_num=50)


@require_http_methods(["GET", "POST"])
@_partner_only
def partner_invoice(request: HttpRequest, partner: Partner, pool_id: int) -> HttpResponse:
    pool = _pool(partner, pool_id)
    form = InvoiceForm(request.POST or None, initial={"issue_date": timezone.localdate()})
    lines = LineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST":
        if form.is_valid() and lines.is_valid():
            rows = [ln.cleaned_data for ln in lines if ln.cleaned_data.get("charge_code")]
            missing = [f"Line {n}: give basis, quantity, unit price and amount."
                       for n, row in enumerate(rows, start=1)
                       if not row.get("basis") or any(row.get(k) is None for k in
                                                      ("quantity", "unit_price", "amount"))]
            if not rows:
                form.add_error(None, "Add at least one line.")
            elif missing:
                form.add_error(None, missing[0])
            else:
                data = form.cleaned_data
                try:
                    invoice, created = invoice_post(
                        partner=partner, pool_id=pool.pk, number=data["number"],
                        currency=data["currency"].upper(), issue_date=data["issue_date"],
                        lines=rows, total=data["total"], kind=data["kind"], corrects=data["corrects"])
                except (ValidationError, ApplicationError) as exc:
                    _apply(form, exc)
                else:
                    what = "stored" if created else "already stored; nothing changed"
                    messages.success(request, f"{invoice} for {pool}: {what}.")
                    return redirect(_url("partner-pools", partner))
        return render(request, "pooling/partner/invoice.html",
                      {"partner": partner, "pool": pool, "form": form, "lines": lines}, status=400)
    return render(request, "pooling/partner/invoice.html",
                  {"partner": partner, "pool": pool, "form": form, "lines": lines})


urlpatterns = [
    path("partner/pools/", partner_pools, name="partner-pools"),
    path("partner/pools/<int:pool_id>/booking/", partner_booking, name="partner-booking"),
    path("partner/pools/<int:pool_id>/invoice/", partner_invoice, name="partner-invoice"),
    path("partner/rate-cards/upload/", partner_rate_card_upload, name="partner-rate-card-upload"),
    path("partner/rate-cards/publish/", partner_rate_card_publish, name="partner-rate-card-publish"),
    path("partner/rate-cards/template.csv", partner_rate_card_template,
         name="partner-rate-card-template"),
    path("partner/capacity/", partner_capacity, name="partner-capacity"),
]


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    return {}


def console_context(request: HttpRequest) -> dict[str, Any]:
    return {}
