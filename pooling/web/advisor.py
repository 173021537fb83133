"""The channel advisor's pages: a firm's advice with its profile form, posting a suggested
ad need (into a suggested open pool), and the coordinator's view of building-up demand.

Every action is a plain form post; the services validate, the selectors read.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from accounts.access import coordinator_required, firm_required
from accounts.reference import GrowthStage
from coop.errors import ApplicationError
from pooling.domain.advisor import HHI_HIGH, HHI_MODERATE, LADDER, SALES_CHANNELS, Model
from pooling.models.advisor import SALES_BAND_CHOICES, RiskAppetite, StaffLevel
from pooling.selectors import advisor as selectors
from pooling.services import advisor as services
from pooling.web.needs import AdNeedForm

MODEL_LABELS = {
    Model.MARKETPLACE: "Marketplace platforms",
    Model.INDEPENDENT_SITE: "Own site",
    Model.SOCIAL: "Social",
    Model.LIVESTREAM: "Livestream",
}
PREFILL = ("programme", "market", "budget", "currency", "flight_from", "flight_to", "category")


def _select(choices: list[tuple[str, str]]) -> forms.Select:
    return forms.Select(choices=choices)


class ProfileForm(forms.Form):
    """Every field is text; `services.firm_profile_input_parse` parses and reports."""

    error_css_class = "has-error"

    markets = forms.CharField(required=False, label="Target markets",
                              help_text="ISO country codes, comma-separated, e.g. US, GB, DE.")
    sales_band = forms.CharField(required=False, label="Monthly sales",
                                 widget=_select([("", "Not given"), *SALES_BAND_CHOICES]))
    content_staff = forms.CharField(required=False, label="Staff who make content",
                                    widget=_select(StaffLevel.choices), initial=StaffLevel.NO)
    live_staff = forms.CharField(required=False, label="Staff who can present live",
                                 widget=_select(StaffLevel.choices), initial=StaffLevel.NO)
    site_staff = forms.CharField(required=False, label="Technical and marketing capacity for a site",
                                 widget=_select(StaffLevel.choices), initial=StaffLevel.NO)
    has_own_site = forms.BooleanField(required=False, label="We have an own site")
    has_brand = forms.BooleanField(required=False, label="We have a brand")
    risk_appetite = forms.CharField(required=False, label="Risk appetite",
                                    widget=_select(RiskAppetite.choices), initial=RiskAppetite.MEDIUM)
    stage_override = forms.CharField(
        required=False, label="Stage",
        widget=_select([("", "Follow from my channels"), *GrowthStage.choices]))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for channel in SALES_CHANNELS.values():
            self.fields[f"share_{channel.code}"] = forms.CharField(
                required=False, label=channel.label,
                widget=forms.NumberInput(attrs={"min": "0", "max": "100", "step": "1",
                                                "placeholder": "0"}))

    @staticmethod
    def initial_for(raw: dict[str, Any]) -> dict[str, Any]:
        initial = {k: v for k, v in raw.items() if k not in ("channels", "markets")}
        initial["markets"] = ", ".join(raw.get("markets", []))
        for item in raw.get("channels", []):
            initial[f"share_{item['channel']}"] = str(item["share"])
        return initial

    def channel_groups(self) -> list[tuple[str, list[Any]]]:
        return [(MODEL_LABELS[model], [self[f"share_{c.code}"] for c in SALES_CHANNELS.values()
                                       if c.model is model]) for model in LADDER]

    def clean(self) -> dict[str, Any]:
        data = self.data
        order: list[str] = []
        channels: list[dict[str, str]] = []
        for code in SALES_CHANNELS:
            share = str(data.get(self.add_prefix(f"share_{code}"), "")).strip()
            if share not in ("", "0"):
                order.append(code)
                channels.append({"channel": code, "share": share})
        raw = {name: data.get(self.add_prefix(name), "") for name in (
            "markets", "sales_band", "content_staff", "live_staff", "site_staff", "risk_appetite",
            "stage_override")}
        raw.update(channels=channels, has_own_site=self.add_prefix("has_own_site") in data,
                   has_brand=self.add_prefix("has_brand") in data)
        try:
            self.cleaned_data["input"] = services.firm_profile_input_parse(raw)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                parts = name.split(".")
                if parts[0] == "channels" and len(parts) > 1 and parts[1].isdigit():
                    target: str | None = f"share_{order[int(parts[1])]}"
                else:
                    target = name if name in self.fields else None
                for error in errors:
                    self.add_error(target, error)
        return self.cleaned_data


def _page(request: HttpRequest, form: ProfileForm, status: int = 200) -> HttpResponse:
    firm = request.firm  # type: ignore[attr-defined]
    advice = selectors.advice_for_firm(firm=firm)
    return render(request, "pooling/advisor/page.html", {
        "advice": advice, "form": form, "hhi_high": HHI_HIGH, "hhi_moderate": HHI_MODERATE,
        "stage_label": GrowthStage(advice.advice.stage.value).label,
        "derived_label": GrowthStage(advice.advice.derived_stage.value).label,
        "used_labels": [SALES_CHANNELS[c].label for c in advice.advice.used],
    }, status=status)


@firm_required
def advisor_page(request: HttpRequest) -> HttpResponse:
    profile = selectors.firm_profile_for_firm(firm=request.firm)  # type: ignore[attr-defined]
    initial = ProfileForm.initial_for(services.firm_profile_raw(profile)) if profile else {}
    return _page(request, ProfileForm(initial=initial))


@firm_required
@require_POST
def advisor_profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    services.firm_profile_save(firm=request.firm, data=form.cleaned_data["input"])  # type: ignore[attr-defined]
    messages.success(request, "Profile saved; the advice below follows it.")
    return redirect("pooling:advisor")


def _pool_id(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


@firm_required
def advisor_post(request: HttpRequest) -> HttpResponse:
    """Post the ad need a recommendation suggests, prefilled; join its pool when it names one."""
    firm = request.firm  # type: ignore[attr-defined]
    source = request.POST if request.method == "POST" else request.GET
    pool_id = _pool_id(source.get("pool"))
    initial = {k: request.GET[k] for k in PREFILL if k in request.GET}
    form = AdNeedForm(request.POST or None, initial=initial, firm=firm)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                need, member = services.advisor_ad_need_post(
                    firm=firm, actor=request.user, data=form.cleaned_data["input"],
                    pool_id=pool_id)
            except ApplicationError as exc:
                details = [m for ms in exc.fields.values() for m in ms if m != exc.message]
                form.add_error(None, " ".join([exc.message, *details]))
            else:
                if member is not None:
                    messages.success(request, f"Ad need on {need.programme.name} posted; your "
                                              f"firm joined pool #{member.pool_id}.")
                    return redirect("pooling:pool-detail", member.pool_id)
                messages.success(request, f"Ad need on {need.programme.name} posted.")
                return redirect("pooling:dashboard")
        status = 400
    offer = None
    if pool_id is not None:
        advice = selectors.advice_for_firm(firm=firm)
        offer = next((p for s in advice.steps for p in s.pools if p.pool.pk == pool_id), None)
    return render(request, "pooling/advisor/post.html", {
        "form": form, "pool_id": pool_id, "offer": offer,
        "action": reverse("pooling:advisor-post"),
    }, status=status)


@coordinator_required
def advisor_demand(request: HttpRequest) -> HttpResponse:
    return render(request, "pooling/advisor/demand.html",
                  {"rows": selectors.demand_building_up()})


urlpatterns = [
    path("advisor/", advisor_page, name="advisor"),
    path("advisor/profile/", advisor_profile, name="advisor-profile"),
    path("advisor/post/", advisor_post, name="advisor-post"),
    path("advisor/demand/", advisor_demand, name="advisor-demand"),
]


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    return {}


def console_context(request: HttpRequest) -> dict[str, Any]:
    return {}
