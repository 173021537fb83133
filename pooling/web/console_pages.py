"""Coordinator pages beyond the console: the programme catalogue with a tier preview, partners
with their keys, rate cards, capacity and webhook health, FX rates, matching run history, held
settlements with their split, a pool's audit trail, and one page per need named in a run.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import coordinator_required
from accounts.models import Partner
from accounts.services import partner_key_create
from coop.errors import ApplicationError
from pooling.domain.tier_preview import tier_preview
from pooling.models import AdNeed, ChannelProgramme, Pool, ShippingDemand
from pooling.models.choices import BusinessModel, Channel
from pooling.selectors import console as selectors
from pooling.selectors.feed import capacity_offers_for_partner, webhook_endpoints_for_partner
from pooling.selectors.partner import partner_keys
from pooling.selectors.settlement import settlements_held
from pooling.services import needs as need_services
from pooling.services.feed_capacity import fx_rate_post
from pooling.services.settlement import settlement_release_preview
from pooling.web.settlement import _shown_settlements

# --- the programme catalogue ---------------------------------------------------


class ProgrammeForm(forms.Form):
    name = forms.CharField(max_length=200)
    channel = forms.ChoiceField(choices=Channel.choices)
    business_model = forms.ChoiceField(choices=BusinessModel.choices, label="Business model")
    partner = forms.ChoiceField(required=False, label="Advertising partner")
    markets = forms.CharField(label="Markets", help_text="ISO country codes, comma-separated: US, GB, DE")
    currency = forms.CharField(max_length=3, help_text="The currency the programme buys in, e.g. USD")
    minimum_spend = forms.CharField(label="Minimum pooled spend")
    tiers = forms.CharField(
        required=False, label="Spend tiers",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "50000, 2\n100000, 4"}),
        help_text="One tier a line: minimum spend, rebate or discount in percent, e.g. 50000, 2. "
                  "Optional: with a minimum spend and no tiers, pools gain access to the "
                  "programme and the difference in fees.")
    tier_kind = forms.ChoiceField(choices=[("rebate_percent", "Rebate"),
                                           ("discount_percent", "Discount")], label="Tiers give a")
    management_fee_percent = forms.CharField(label="Cooperative's management fee (%)", initial="0")
    standalone_fee_percent = forms.CharField(label="Fee a firm pays alone (%)", initial="0")
    min_flight_days = forms.CharField(label="Minimum flight (days)", initial="14")
    category_exclusive = forms.BooleanField(required=False,
                                            label="One firm per product category in a pool")
    active = forms.BooleanField(required=False, initial=True, label="Offered to firms")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = [("", "None yet")] + [  # type: ignore[attr-defined]
            (str(p.pk), p.name) for p in Partner.objects.filter(kind=Partner.Kind.ADVERTISING)]

    def raw(self) -> dict[str, Any]:
        data = self.cleaned_data
        tiers = []
        for number, line in enumerate(str(data.get("tiers") or "").splitlines(), start=1):
            if not line.strip():
                continue
            cells = [c.strip() for c in line.replace(";", ",").split(",")]
            if len(cells) != 2:
                raise ValidationError({"tiers": [f"Line {number}: give a minimum spend and a "
                                                 f"percentage, e.g. 50000, 2."]})
            tiers.append({"min_spend": cells[0], data.get("tier_kind") or "rebate_percent": cells[1]})
        return {**{k: v for k, v in data.items() if k not in ("tiers", "tier_kind")},
                "tiers": tiers, "partner": data.get("partner") or None}

    def parse(self) -> need_services.ProgrammeInput | None:
        if not self.is_valid():
            return None
        try:
            return need_services.programme_input_parse(self.raw())
        except ValidationError as exc:
            self.add_errors(exc)
            return None

    def preview(self) -> tuple[list[Any] | None, list[str]]:
        """The tier preview of what the form holds so far, and what stops it, without
        saving: fields the preview does not read are filled in when they are blank."""
        data = self.data.copy()  # type: ignore[attr-defined]
        for name, stand_in in PREVIEW_STAND_INS.items():
            if not str(data.get(name) or "").strip():
                data[name] = stand_in
        form = ProgrammeForm(data)
        parsed = form.parse()
        if parsed is None:
            return None, [f"{form.fields[name].label}: {error}" if name in form.fields else str(error)
                          for name, errors in form.errors.items()
                          if name in PREVIEW_FIELDS or name == "__all__" for error in errors]
        return tier_preview(selectors.programme_in(parsed)), []

    def add_errors(self, exc: ValidationError) -> None:
        for name, errors in exc.message_dict.items():
            for error in errors:
                self.add_error(name if name in self.fields else None, error)


# The preview reads only the money terms; a half-filled form still previews them.
PREVIEW_FIELDS = ("currency", "minimum_spend", "tiers", "tier_kind", "management_fee_percent",
                  "standalone_fee_percent")
PREVIEW_STAND_INS = {"name": "Preview", "channel": Channel.choices[0][0],
                     "business_model": BusinessModel.choices[0][0], "markets": "US",
                     "min_flight_days": "14"}


def _initial(programme: ChannelProgramme) -> dict[str, Any]:
    raw = need_services.programme_raw(programme)
    kind = next((k for t in programme.tiers for k in ("discount_percent", "rebate_percent")
                 if k in t), "rebate_percent")
    return {**raw, "markets": ", ".join(programme.markets), "partner": programme.partner_id or "",
            "tiers": "\n".join(f"{t['min_spend']}, {t.get(kind, '')}" for t in programme.tiers),
            "tier_kind": kind}


@require_GET
@coordinator_required
def programme_list(request: HttpRequest) -> HttpResponse:
    programmes = list(selectors.programmes_catalogue())
    for programme in programmes:
        programme.preview = tier_preview(selectors.programme_in(programme))  # type: ignore[attr-defined]
        programme.pool_blocker = selectors.programme_pool_blocker(programme)  # type: ignore[attr-defined]
    return render(request, "pooling/console/programmes.html", {"programmes": programmes})


def _programme_form_page(request: HttpRequest, form: ProgrammeForm,
                         programme: ChannelProgramme | None, status: int = 200) -> HttpResponse:
    data = form.parse() if form.is_bound else None
    preview_of = data if data is not None else programme
    preview = tier_preview(selectors.programme_in(preview_of)) if preview_of else None
    return render(request, "pooling/console/programme_form.html", {
        "form": form, "programme": programme, "preview": preview,
        "currency": getattr(preview_of, "currency", ""),
    }, status=status if not form.errors else 400)


@require_http_methods(["GET", "POST"])
@coordinator_required
def programme_new(request: HttpRequest) -> HttpResponse:
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST" and request.POST.get("action") != "preview":
        data = form.parse()
        if data is not None:
            try:
                programme = need_services.programme_create(data=data)
            except ValidationError as exc:
                form.add_errors(exc)
            else:
                messages.success(request, f"Programme {programme.name} created.")
                return redirect("pooling:console-programmes")
        return _programme_form_page(request, form, None, status=400)
    return _programme_form_page(request, form, None)


@require_http_methods(["GET", "POST"])
@coordinator_required
def programme_edit(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = get_object_or_404(ChannelProgramme, pk=programme_id)
    form = ProgrammeForm(request.POST or None, initial=_initial(programme))
    if request.method == "POST" and request.POST.get("action") != "preview":
        data = form.parse()
        if data is not None:
            try:
                need_services.programme_update(programme_id=programme.pk, data=data)
            except ValidationError as exc:
                form.add_errors(exc)
            else:
                messages.success(request, f"Programme {data.name} saved.")
                return redirect("pooling:console-programmes")
        return _programme_form_page(request, form, programme, status=400)
    return _programme_form_page(request, form, programme)


@require_POST
@coordinator_required
def programme_preview(request: HttpRequest) -> HttpResponse:
    """The tier preview for the programme form as it is being typed (htmx); saves nothing."""
    preview, problems = ProgrammeForm(request.POST).preview()
    return render(request, "pooling/console/_tier_preview_body.html", {
        "preview": preview, "problems": problems,
        "currency": str(request.POST.get("currency", "")).strip().upper()})


@require_POST
@coordinator_required
def programme_active(request: HttpRequest, programme_id: int) -> HttpResponse:
    """Offer a programme to firms again, or stop offering it (its open needs stay unplaced)."""
    programme = get_object_or_404(ChannelProgramme, pk=programme_id)
    data = need_services.programme_input_parse(
        {**need_services.programme_raw(programme), "active": request.POST.get("active") == "1"})
    need_services.programme_update(programme_id=programme.pk, data=data)
    messages.success(request, f"{programme.name} is {'offered' if data.active else 'no longer offered'}"
                              " to firms.")
    return redirect("pooling:console-programmes")


# --- FX rates --------------------------------------------------------------------


class FxRateForm(forms.Form):
    base = forms.CharField(max_length=3, label="From currency", help_text="e.g. USD")
    quote = forms.CharField(max_length=3, label="To currency", help_text="e.g. EUR")
    rate = forms.CharField(label="Rate", help_text="1 unit of the first currency in the second")
    as_of = forms.DateField(label="For the day", widget=forms.DateInput(
        attrs={"type": "date"}, format="%Y-%m-%d"))


@require_http_methods(["GET", "POST"])
@coordinator_required
def fx_rates(request: HttpRequest) -> HttpResponse:
    form = FxRateForm(request.POST or None, initial={"as_of": timezone.localdate()})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                rate = Decimal(form.cleaned_data["rate"].strip())
                _, created = fx_rate_post(base=form.cleaned_data["base"].strip().upper(),
                                          quote=form.cleaned_data["quote"].strip().upper(),
                                          rate=rate, as_of=form.cleaned_data["as_of"],
                                          posted_by=request.user.get_username())
            except InvalidOperation:
                form.add_error("rate", "Enter a number, e.g. 0.9215.")
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(name if name in form.fields else None, error)
            except ApplicationError as exc:
                for name, errors in (exc.fields or {}).items():
                    for error in errors:
                        form.add_error(name if name in form.fields else None, error)
                if not exc.fields:
                    form.add_error(None, exc.message)
            else:
                messages.success(request, "Rate posted." if created else "That rate was already posted.")
                return redirect("pooling:console-fx")
    return render(request, "pooling/console/fx_rates.html",
                  {"form": form, "rates": selectors.fx_rates_history()}, status=status)


# --- matching runs and held settlements -----------------------------------------


@require_GET
@coordinator_required
def runs_history(request: HttpRequest) -> HttpResponse:
    return render(request, "pooling/console/runs.html",
                  {"matching_runs": list(selectors.matching_runs_page())})


@require_GET
@coordinator_required
def held_settlements(request: HttpRequest) -> HttpResponse:
    held = _shown_settlements(list(settlements_held()))
    for settlement in held:
        settlement.preview = settlement_release_preview(settlement_id=settlement.pk)  # type: ignore[attr-defined]
    return render(request, "pooling/console/held.html", {"settlements_held": held})


# --- partners ---------------------------------------------------------------------


class PartnerForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Partner.Kind.choices)
    contact_email = forms.EmailField(required=False, label="Contact e-mail")


class KeyForm(forms.Form):
    name = forms.CharField(max_length=50, label="Key name", help_text="e.g. production feed")


@require_http_methods(["GET", "POST"])
@coordinator_required
def partner_list(request: HttpRequest) -> HttpResponse:
    form = PartnerForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                with transaction.atomic():
                    partner = Partner.objects.create(**form.cleaned_data)
            except IntegrityError:
                form.add_error("name", "A partner of that name already exists.")
            else:
                messages.success(request, f"Partner {partner.name} created. Issue it an API key.")
                return redirect("pooling:console-partner", partner_id=partner.pk)
    return render(request, "pooling/console/partners.html",
                  {"form": form, "partners": selectors.partners_overview()}, status=status)


def _partner_page(request: HttpRequest, partner: Partner, key_form: KeyForm, *,
                  new_key: str = "", status: int = 200) -> HttpResponse:
    endpoints = list(webhook_endpoints_for_partner(partner=partner))
    return render(request, "pooling/console/partner_detail.html", {
        "partner": partner, "key_form": key_form, "new_key": new_key,
        "keys": list(partner_keys(partner=partner)), "lanes": selectors.rate_card_lanes(partner=partner),
        "capacity": list(capacity_offers_for_partner(partner=partner)[:50]), "endpoints": endpoints,
    }, status=status)


@require_GET
@coordinator_required
def partner_detail(request: HttpRequest, partner_id: int) -> HttpResponse:
    partner = get_object_or_404(Partner, pk=partner_id)
    return _partner_page(request, partner, KeyForm())


@require_POST
@coordinator_required
def partner_key_new(request: HttpRequest, partner_id: int) -> HttpResponse:
    partner = get_object_or_404(Partner, pk=partner_id)
    form = KeyForm(request.POST)
    if form.is_valid():
        issued = partner_key_create(partner=partner, name=form.cleaned_data["name"])
        response = _partner_page(request, partner, KeyForm(), new_key=issued.key)
        response["Cache-Control"] = "no-store"
        return response
    return _partner_page(request, partner, form, status=400)


# --- a pool's audit trail and the needs a run names --------------------------------


@require_GET
@coordinator_required
def pool_audit(request: HttpRequest, pool_id: int) -> HttpResponse:
    pool = get_object_or_404(Pool, pk=pool_id)
    return render(request, "pooling/console/pool_audit.html",
                  {"pool": pool, "events": selectors.pool_audit_trail(pool=pool)})


@require_GET
@coordinator_required
def demand_detail(request: HttpRequest, demand_id: int) -> HttpResponse:
    demand = ShippingDemand.objects.select_related("firm").filter(pk=demand_id).first()
    if demand is None:
        raise Http404("No such demand.")
    return render(request, "pooling/console/need_detail.html", {"demand": demand, "need": None})


@require_GET
@coordinator_required
def ad_need_detail(request: HttpRequest, need_id: int) -> HttpResponse:
    need = AdNeed.objects.select_related("firm", "programme").filter(pk=need_id).first()
    if need is None:
        raise Http404("No such ad need.")
    return render(request, "pooling/console/need_detail.html", {"need": need, "demand": None})


urlpatterns = [
    path("console/programmes/", programme_list, name="console-programmes"),
    path("console/programmes/new/", programme_new, name="console-programme-new"),
    path("console/programmes/<int:programme_id>/", programme_edit, name="console-programme-edit"),
    path("console/programmes/preview/", programme_preview, name="console-programme-preview"),
    path("console/programmes/<int:programme_id>/active/", programme_active,
         name="console-programme-active"),
    path("console/fx/", fx_rates, name="console-fx"),
    path("matching/runs/", runs_history, name="console-runs"),
    path("console/settlements/held/", held_settlements, name="console-held"),
    path("console/partners/", partner_list, name="console-partners"),
    path("console/partners/<int:partner_id>/", partner_detail, name="console-partner"),
    path("console/partners/<int:partner_id>/keys/", partner_key_new, name="console-partner-key"),
    path("console/pools/<int:pool_id>/audit/", pool_audit, name="console-pool-audit"),
    path("console/needs/demands/<int:demand_id>/", demand_detail, name="console-demand"),
    path("console/needs/ad-needs/<int:need_id>/", ad_need_detail, name="console-ad-need"),
]


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    return {}


def console_context(request: HttpRequest) -> dict[str, Any]:
    return {"console_links": [
        (reverse("pooling:console-programmes"), "Programme catalogue"),
        (reverse("pooling:console-partners"), "Partners"),
        (reverse("pooling:console-fx"), "FX rates"),
        (reverse("pooling:console-runs"), "Matching run history"),
        (reverse("pooling:console-held"), "Held settlements"),
    ]}
