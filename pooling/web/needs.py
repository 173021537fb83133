"""Pages where a firm posts and edits its shipping demands and ad needs, and imports a CSV.

Forms post plainly; htmx, when present, swaps the form in place to show field errors
and asks for the chargeable weight while the user types.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from accounts.access import firm_required
from accounts.models import Firm
from accounts.reference import ProductCategory, country_choices
from accounts.selectors import firms_excludable
from coop.errors import ApplicationError, Conflict
from pooling import csv_import
from pooling.domain.wording import counted
from pooling.models.choices import CargoClass, Incoterm, Mode
from pooling.selectors import needs as selectors
from pooling.selectors.console import programme_can_pool, programme_pool_blocker
from pooling.services import needs as services

# --- forms -------------------------------------------------------------------


def _select(choices: list[tuple[str, str]], blank: str | None = None) -> forms.Select:
    return forms.Select(choices=([("", blank)] if blank else []) + choices)


def _number(step: str, **attrs: str) -> forms.NumberInput:
    return forms.NumberInput(attrs={"step": step, "min": "0", **attrs})


class SharedValidatorForm(forms.Form):
    """Every field is text; the services' validator parses and reports, as for the API."""

    error_css_class = "has-error"

    def raw(self) -> dict[str, Any]:
        return {name: self.data.get(self.add_prefix(name), "") for name in self.fields}

    def parse(self, raw: dict[str, Any]) -> Any:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        try:
            raw = self.raw()
            self.cleaned_data["input"] = self.parse(raw)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                target = name.split(".")[0]
                for error in errors:
                    self.add_error(target if target in self.fields else None, error)
        return self.cleaned_data


class DemandForm(SharedValidatorForm):
    reference = forms.CharField(required=False, max_length=60, label="Your reference")
    origin = forms.CharField(required=False, label="Origin (UN/LOCODE)",
                             widget=forms.TextInput(attrs={"placeholder": "CNSZX"}))
    destination = forms.CharField(required=False, label="Destination (UN/LOCODE)",
                                  widget=forms.TextInput(attrs={"placeholder": "USLAX"}))
    mode = forms.CharField(required=False, widget=_select(Mode.choices, "Choose a mode"))
    cargo_class = forms.CharField(required=False, widget=_select(CargoClass.choices),
                                  initial=CargoClass.GENERAL)
    un_number = forms.CharField(required=False, label="UN number",
                                help_text="For lithium batteries and other dangerous goods.")
    dg_class = forms.CharField(required=False, label="Dangerous goods class")
    splittable = forms.BooleanField(required=False, label="May be split across containers or "
                                                          "flights")
    lines = forms.CharField(
        required=False, label="Package lines",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "10, 60, 40, 40, 12.5"}),
        help_text="One line per package size: count, length, width, height (cm), gross kg per "
                  "package. Leave empty to give totals instead.",
    )
    gross_kg = forms.CharField(required=False, label="Gross weight (kg)", widget=_number("0.001"))
    volume_cbm = forms.CharField(required=False, label="Volume (CBM)", widget=_number("0.001"))
    ready_from = forms.CharField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    deliver_by = forms.CharField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    incoterm = forms.CharField(required=False, widget=_select(Incoterm.choices),
                               initial=Incoterm.FOB)
    declared_value = forms.CharField(required=False, widget=_number("0.01"))
    declared_currency = forms.CharField(required=False, max_length=3,
                                        widget=forms.TextInput(attrs={"placeholder": "USD"}))
    hs_code = forms.CharField(required=False, label="HS code", help_text="6 to 10 digits.")

    def raw(self) -> dict[str, Any]:
        raw = super().raw()
        raw["splittable"] = self.add_prefix("splittable") in self.data
        raw["lines"] = lines_from_text(raw["lines"])
        return raw

    def parse(self, raw: dict[str, Any]) -> services.DemandInput:
        return services.demand_input_parse(raw)

    @classmethod
    def initial_for(cls, demand: Any) -> dict[str, Any]:
        raw = services.demand_raw(demand)
        raw["lines"] = "\n".join(
            ", ".join(str(line[k]) for k in ("count", "length_cm", "width_cm", "height_cm",
                                              "gross_kg_each"))
            for line in raw.get("lines", [])
        )
        return raw


LINE_KEYS = ("count", "length_cm", "width_cm", "height_cm", "gross_kg_each")


def lines_from_text(text: str) -> list[dict[str, str]] | str:
    """'10, 60, 40, 40, 12.5' per row as package lines; a malformed row fails validation."""
    rows = [row for row in (text or "").splitlines() if row.strip()]
    lines: list[dict[str, str]] = []
    for number, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row.replace(";", ",").split(",")]
        if len(cells) != len(LINE_KEYS):
            raise ValidationError({"lines": [
                f"Line {number}: give 5 numbers (count, length, width, height, kg each); "
                f"got '{row.strip()}'."]})
        lines.append(dict(zip(LINE_KEYS, cells, strict=True)))
    return lines


def programmes_offered() -> list[Any]:
    """Active programmes that can form a pool (`programme_pool_blocker` finds nothing)."""
    return [p for p in selectors.programmes_list(active_only=True) if programme_can_pool(p)]


def programmes_not_offered() -> list[tuple[Any, str]]:
    """Active programmes the form leaves out, each with why it cannot form a pool."""
    return [(p, reason) for p in selectors.programmes_list(active_only=True)
            if (reason := programme_pool_blocker(p)) is not None]


class AdNeedForm(SharedValidatorForm):
    programme = forms.CharField(required=False, widget=forms.Select())
    market = forms.CharField(required=False, label="Market",
                             help_text="Only the markets the programmes serve are offered.",
                             widget=forms.Select())
    budget = forms.CharField(required=False, widget=_number("0.01"))
    currency = forms.CharField(required=False, max_length=3, widget=forms.Select(),
                               help_text="The programme buys in its own currency.")
    flight_from = forms.CharField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    flight_to = forms.CharField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    category = forms.CharField(required=False, label="Product category",
                               widget=_select(ProductCategory.choices, "Choose a category"))
    excluded_firms = forms.MultipleChoiceField(required=False, label="Do not pool with",
                                               widget=forms.SelectMultiple(attrs={"size": 5}))

    def __init__(self, *args: Any, firm: Firm, need: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.firm = firm
        offered = programmes_offered()
        self.nothing_offered = not offered
        self.not_offered = programmes_not_offered()
        self.fields["programme"].widget.choices = [("", "Choose a programme")] + [  # type: ignore[attr-defined]
            (str(p.pk), f"{p.name} ({p.currency} {p.minimum_spend:,.0f} minimum, "
                        f"{p.min_flight_days}-day minimum flight)")
            for p in offered
        ]
        names = dict(country_choices())
        self.fields["market"].widget.choices = [("", "Choose a market")] + [  # type: ignore[attr-defined]
            (p.name, [(m, f"{names.get(m, m)} ({m})") for m in p.markets]) for p in offered
        ]
        self.fields["currency"].widget.choices = [("", "The programme's currency")] + [  # type: ignore[attr-defined]
            (c, c) for c in sorted({p.currency for p in offered})
        ]
        self.fields["excluded_firms"].choices = [  # type: ignore[attr-defined]
            (str(f.pk), f.legal_name) for f in firms_excludable(firm=firm, need=need)
        ]

    def raw(self) -> dict[str, Any]:
        raw = super().raw()
        if not raw.get("currency"):  # the programme's currency, when the form leaves it blank
            programme = next((p for p in programmes_offered() if str(p.pk) == str(raw.get("programme"))),
                             None)
            raw["currency"] = programme.currency if programme is not None else ""
        raw["excluded_firms"] = self.data.getlist(self.add_prefix("excluded_firms"))  # type: ignore[attr-defined]
        return raw

    def clean_excluded_firms(self) -> list[str]:
        return self.data.getlist(self.add_prefix("excluded_firms"))  # type: ignore[attr-defined]

    def parse(self, raw: dict[str, Any]) -> services.AdNeedInput:
        return services.ad_need_input_parse(raw, firm=self.firm)


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file (UTF-8)", widget=forms.ClearableFileInput(
        attrs={"accept": ".csv,text/csv"}))


# --- views -------------------------------------------------------------------


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _done(request: HttpRequest, message: str) -> HttpResponse:
    messages.success(request, message)
    url = reverse("pooling:dashboard")
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _form_page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """The whole page, or only the form when htmx swaps it in place."""
    partial = template.replace("needs/", "needs/_")
    # htmx swaps only 2xx answers; a plain post gets 400 with the errors.
    status = 400 if context["form"].is_bound and context["form"].errors and not _is_htmx(request) else 200
    return render(request, partial if _is_htmx(request) else template, context, status=status)


def _demand(request: HttpRequest, demand_id: int) -> Any:
    demand = selectors.demand_for_firm(firm=request.firm, demand_id=demand_id)  # type: ignore[attr-defined]
    if demand is None:
        raise Http404("No such demand.")
    return demand


@firm_required
def demand_new(request: HttpRequest) -> HttpResponse:
    form = DemandForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            demand = services.demand_post(firm=request.firm, data=form.cleaned_data["input"])  # type: ignore[attr-defined]
            return _done(request, f"Demand {demand.origin}→{demand.destination} posted.")
    return _form_page(request, "pooling/needs/demand_form.html",
                      {"form": form, "action": reverse("pooling:demand-new"), "demand": None})


@firm_required
def demand_edit(request: HttpRequest, demand_id: int) -> HttpResponse:
    demand = _demand(request, demand_id)
    form = DemandForm(request.POST or None, initial=DemandForm.initial_for(demand))
    if request.method == "POST":
        if form.is_valid():
            try:
                services.demand_update(firm=request.firm, demand_id=demand.pk,  # type: ignore[attr-defined]
                                       data=form.cleaned_data["input"])
            except Conflict as exc:
                form.add_error(None, exc.message)
            else:
                return _done(request, f"Demand {demand.origin}→{demand.destination} updated.")
    return _form_page(request, "pooling/needs/demand_form.html", {
        "form": form, "demand": demand,
        "action": reverse("pooling:demand-edit", args=[demand.pk]),
    })


@firm_required
@require_POST
def demand_withdraw(request: HttpRequest, demand_id: int) -> HttpResponse:
    demand = _demand(request, demand_id)
    try:
        services.demand_withdraw(firm=request.firm, demand_id=demand.pk, actor=request.user)  # type: ignore[attr-defined]
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("pooling:dashboard")
    return _done(request, f"Demand {demand.origin}→{demand.destination} withdrawn.")


@firm_required
def demand_chargeable(request: HttpRequest) -> HttpResponse:
    """The chargeable weight (and W/M) for the form's current values, as a fragment."""
    data = request.POST or request.GET
    form = DemandForm(data)
    measure, problem = None, ""
    try:
        measure = services.demand_measure_parse(form.raw())
    except ValidationError as exc:
        # Until the mode and some size are given, the hint says what to fill in;
        # "This field is required." under an untouched form only confuses.
        if data.get("mode") and any(data.get(k) for k in ("lines", "gross_kg", "volume_cbm")):
            problem = next(iter(exc.messages), "")
    return render(request, "pooling/needs/_chargeable.html",
                  {"measure": measure, "problem": problem})


@firm_required
def demand_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[tuple[str, str, str]] = []
    summary = ""
    if request.method == "POST" and form.is_valid():
        try:
            result = csv_import.demands_csv_import(firm=request.firm,  # type: ignore[attr-defined]
                                                   data=form.cleaned_data["file"].read())
        except csv_import.CsvImportError as exc:
            summary = exc.message
            for key, messages_ in exc.fields.items():
                where, _, column = key.partition(".")
                errors.extend((where, column, message) for message in messages_)
        else:
            return _done(request, f"Imported {counted(result.created, 'shipping demand')}.")
    status = 400 if summary or form.errors else 200
    return render(request, "pooling/needs/import.html", {
        "form": form, "errors": errors, "summary": summary,
        "columns": csv_import.COLUMNS, "required": csv_import.REQUIRED_COLUMNS,
    }, status=status)


def _ad_need(request: HttpRequest, need_id: int) -> Any:
    need = selectors.ad_need_for_firm(firm=request.firm, need_id=need_id)  # type: ignore[attr-defined]
    if need is None:
        raise Http404("No such ad need.")
    return need


@firm_required
def ad_need_new(request: HttpRequest) -> HttpResponse:
    form = AdNeedForm(request.POST or None, firm=request.firm)  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        need = services.ad_need_post(firm=request.firm, data=form.cleaned_data["input"])  # type: ignore[attr-defined]
        return _done(request, f"Ad need on {need.programme.name} posted.")
    return _form_page(request, "pooling/needs/ad_need_form.html",
                      {"form": form, "action": reverse("pooling:ad-need-new"), "need": None})


@firm_required
def ad_need_edit(request: HttpRequest, need_id: int) -> HttpResponse:
    need = _ad_need(request, need_id)
    initial = services.ad_need_raw(need)
    initial["excluded_firms"] = [str(pk) for pk in initial["excluded_firms"]]
    form = AdNeedForm(request.POST or None, initial=initial, firm=request.firm,  # type: ignore[attr-defined]
                      need=need)
    if request.method == "POST" and form.is_valid():
        try:
            services.ad_need_update(firm=request.firm, need_id=need.pk,  # type: ignore[attr-defined]
                                    data=form.cleaned_data["input"])
        except Conflict as exc:
            form.add_error(None, exc.message)
        else:
            return _done(request, f"Ad need on {need.programme.name} updated.")
    return _form_page(request, "pooling/needs/ad_need_form.html", {
        "form": form, "need": need, "action": reverse("pooling:ad-need-edit", args=[need.pk]),
    })


@firm_required
@require_POST
def ad_need_withdraw(request: HttpRequest, need_id: int) -> HttpResponse:
    need = _ad_need(request, need_id)
    try:
        services.ad_need_withdraw(firm=request.firm, need_id=need.pk, actor=request.user)  # type: ignore[attr-defined]
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("pooling:dashboard")
    return _done(request, f"Ad need on {need.programme.name} withdrawn.")


urlpatterns = [
    path("needs/demands/new/", demand_new, name="demand-new"),
    path("needs/demands/chargeable/", demand_chargeable, name="demand-chargeable"),
    path("needs/demands/import/", demand_import, name="demand-import"),
    path("needs/demands/<int:demand_id>/", demand_edit, name="demand-edit"),
    path("needs/demands/<int:demand_id>/withdraw/", demand_withdraw, name="demand-withdraw"),
    path("needs/ad-needs/new/", ad_need_new, name="ad-need-new"),
    path("needs/ad-needs/<int:need_id>/", ad_need_edit, name="ad-need-edit"),
    path("needs/ad-needs/<int:need_id>/withdraw/", ad_need_withdraw, name="ad-need-withdraw"),
]


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    """The firm's shipping demands and ad needs."""
    firm = request.firm  # type: ignore[attr-defined]
    return {
        "needs_demands": selectors.demands_for_dashboard(firm=firm),
        "needs_ad_needs": selectors.ad_needs_for_dashboard(firm=firm),
    }


def console_context(request: HttpRequest) -> dict[str, Any]:
    """What this area adds to the coordinator console."""
    return {}
