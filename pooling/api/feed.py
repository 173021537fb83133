"""The partner feed API: rate cards, quotes, programme terms, spend reports, capacity,
bookings, DCSA tracking events, invoices, webhooks and FX rates.

Partners authenticate with `Authorization: Api-Key <key>` and only ever see their
own objects and the pools assigned to them; every creating write honours an
`Idempotency-Key`. Firms read their pools' tracking events back in DCSA shape.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import path
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import PartnerPrincipal
from accounts.reference import country_codes, currency_codes
from accounts.tenancy import IsCoordinatorOrPartner, IsFirmUser, IsPartner
from coop.api.idempotency import idempotent
from coop.api.views import ObjectApi, found, paginated, saved, validated
from coop.errors import ApplicationError, NotFound
from coop.inputs import (
    InputError,
    StrictCharField,
    StrictDateField,
    StrictDateTimeField,
    StrictDecimalField,
    StrictIntegerField,
    excerpt,
)
from pooling.feed import dcsa
from pooling.models import (
    Booking,
    CapacityOffer,
    ChannelProgramme,
    FxRate,
    Invoice,
    InvoiceLine,
    Pool,
    RateCard,
    SpendReport,
    TrackingEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from pooling.models.choices import CargoClass, Mode
from pooling.selectors import feed as selectors
from pooling.selectors import pools as pool_selectors
from pooling.services import (
    feed_ads,
    feed_bookings,
    feed_capacity,
    feed_events,
    feed_invoices,
    feed_ratecards,
    webhooks,
)
from pooling.services.needs import locode


def _partner(request: Request) -> Any:
    return request.partner  # type: ignore[attr-defined]


def _own_pool(request: Request, pool_id: int) -> None:
    """404 unless the pool is assigned to the calling partner."""
    if not Pool.objects.filter(pk=pool_id, partner=_partner(request)).exists():
        raise NotFound()


@extend_schema_field({"type": "string", "pattern": "^(invoice|credit_note)$",
                      "description": "`invoice` or `credit_note`"})
class InvoiceKindField(serializers.ChoiceField):
    """Kept inline in the schema: other components already use the name "kind"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Invoice.Kind.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": sorted(CargoClass.values)})
class CargoClassItemField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=CargoClass.choices, **kwargs)


def _place(value: str, *, country_ok: bool) -> str:
    """A UN/LOCODE with an ISO 3166-1 country, or (where allowed) a whole country."""
    code = value.replace(" ", "").upper()
    if country_ok and len(code) == 2:
        if code not in country_codes():
            raise serializers.ValidationError(f"{excerpt(value)} is not an ISO 3166-1 country.")
        return code
    try:
        return locode(code)
    except InputError as exc:
        raise serializers.ValidationError(str(exc)) from None


class _Lane:
    """Origin and destination checked against UN/LOCODE and ISO 3166-1 before lookup."""

    def validate_origin(self, value: str) -> str:
        return _place(value, country_ok=False)

    def validate_destination(self, value: str) -> str:
        return _place(value, country_ok=True)

    def validate_currency(self, value: str) -> str:
        if value.upper() not in currency_codes():
            raise serializers.ValidationError(f"{excerpt(value)} is not an ISO 4217 currency.")
        return value.upper()


def _money(**kwargs: Any) -> serializers.DecimalField:
    return StrictDecimalField(max_digits=18, decimal_places=4, **kwargs)


# --- rate cards and quotes --------------------------------------------------------------


class WeightBreakIo(serializers.Serializer):
    class Meta:
        ref_name = "FeedWeightBreak"

    min_kg = StrictDecimalField(max_digits=14, decimal_places=3)
    rate_per_kg = _money()


class EquipmentRateIo(serializers.Serializer):
    class Meta:
        ref_name = "FeedEquipmentRate"

    code = StrictCharField(max_length=10, help_text="20GP, 40GP, 40HC, ...")
    price = _money()
    usable_cbm = StrictDecimalField(max_digits=10, decimal_places=3)
    payload_kg = StrictDecimalField(max_digits=12, decimal_places=3)


class FeeIo(serializers.Serializer):
    class Meta:
        ref_name = "FeedFixedFee"

    code = StrictCharField(max_length=20, help_text="DOC, CUS, ...")
    description = StrictCharField(max_length=200, required=False, default="")
    amount = _money()


class SurchargeIo(serializers.Serializer):
    class Meta:
        ref_name = "FeedSurcharge"

    code = StrictCharField(max_length=20, help_text="BAF (fuel), PSS (peak season), ...")
    description = StrictCharField(max_length=200, required=False, default="")
    percent = StrictDecimalField(max_digits=8, decimal_places=4, required=False,
                                       allow_null=True)
    per_kg = _money(required=False, allow_null=True)


class RateCardOutput(serializers.ModelSerializer):
    class Meta:
        model = RateCard
        ref_name = "FeedRateCard"
        fields = ["id", "origin", "destination", "mode", "version", "currency", "valid_from",
                  "valid_to", "superseded_from", "kg_per_cbm", "minimum_charge", "weight_breaks",
                  "higher_break_rule", "lcl_rate_per_wm", "lcl_minimum_wm", "equipment", "fees",
                  "surcharges", "allowed_cargo_classes", "transit_days", "created_at"]


class RateCardListCreateApi(APIView):
    """List your rate cards (every version) or upload a new version of a lane's card."""

    permission_classes = [IsPartner]

    class InputSerializer(_Lane, serializers.Serializer):
        class Meta:
            ref_name = "FeedRateCardInput"

        origin = StrictCharField(max_length=5, help_text="UN/LOCODE, e.g. CNSZX")
        destination = StrictCharField(
            max_length=5, help_text="UN/LOCODE, or a two-letter country code for a whole country")
        mode = serializers.ChoiceField(choices=Mode.choices)
        currency = StrictCharField(max_length=3)
        valid_from = StrictDateField()
        valid_to = StrictDateField(required=False, allow_null=True)
        kg_per_cbm = StrictDecimalField(max_digits=10, decimal_places=4, required=False,
                                              allow_null=True, help_text="Volumetric factor")
        minimum_charge = _money(required=False, default=Decimal(0))
        weight_breaks = WeightBreakIo(many=True, required=False, default=list)
        higher_break_rule = serializers.BooleanField(required=False, default=True)
        lcl_rate_per_wm = _money(required=False, allow_null=True)
        lcl_minimum_wm = StrictDecimalField(max_digits=8, decimal_places=3, required=False,
                                                  default=Decimal(1))
        equipment = EquipmentRateIo(many=True, required=False, default=list)
        fees = FeeIo(many=True, required=False, default=list)
        surcharges = SurchargeIo(many=True, required=False, default=list)
        allowed_cargo_classes = serializers.ListField(
            child=CargoClassItemField(), required=False, default=["general"])
        transit_days = StrictIntegerField(min_value=0, required=False, default=0)

    @extend_schema(responses=RateCardOutput(many=True))
    def get(self, request: Request) -> Response:
        return paginated(self, request, selectors.rate_cards_for_partner(
            partner=_partner(request)), RateCardOutput)

    @extend_schema(request=InputSerializer, responses={201: RateCardOutput})
    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        data["origin"] = data["origin"].upper()
        data["destination"] = data["destination"].upper()
        data["currency"] = data["currency"].upper()
        for key in ("weight_breaks", "equipment", "fees", "surcharges"):
            data[key] = [dict(item) for item in data[key]]
        card = feed_ratecards.rate_card_upload(partner=_partner(request), **data)
        return Response(RateCardOutput(card).data, status=status.HTTP_201_CREATED)


class RateCardDetailApi(ObjectApi):
    permission_classes = [IsPartner]

    @extend_schema(responses=RateCardOutput)
    def get(self, request: Request, card_id: int) -> Response:
        return Response(RateCardOutput(found(selectors.rate_cards_for_partner(
            partner=_partner(request)).filter(pk=card_id).first())).data)


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


class QuoteLineOutput(serializers.Serializer):
    class Meta:
        ref_name = "FeedQuoteLine"

    charge_code = StrictCharField()
    description = StrictCharField()
    basis = StrictCharField()
    quantity = StrictCharField()
    unit_price = StrictCharField()
    amount = StrictCharField()
    applies_to = StrictCharField(allow_null=True)
    equipment = StrictCharField(allow_null=True)


class QuoteApi(APIView):
    """Price a shipment on one of your rate cards with the cooperative's tariff engine."""

    permission_classes = [IsPartner]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FeedQuoteInput"

        rate_card = StrictIntegerField()
        gross_kg = StrictDecimalField(max_digits=14, decimal_places=3, min_value=0)
        volume_cbm = StrictDecimalField(max_digits=14, decimal_places=6, min_value=0)
        cargo_class = serializers.ChoiceField(choices=CargoClass.choices, required=False,
                                              default="general")
        containers = serializers.ListField(
            child=StrictCharField(max_length=10), required=False, default=list,
            help_text="Sea only: whole containers, e.g. [\"40HC\"]; weight and volume are the "
                      "LCL remainder.")

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FeedQuoteOutput"

        rate_card = StrictIntegerField()
        version = StrictIntegerField()
        currency = StrictCharField()
        lines = QuoteLineOutput(many=True)
        total = StrictCharField()
        chargeable_kg = StrictCharField()
        revenue_tons = StrictCharField()
        note = StrictCharField()

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        card = selectors.rate_cards_for_partner(partner=_partner(request)).filter(
            pk=data["rate_card"]).first()
        if card is None:
            raise ApplicationError("You have no such rate card.",
                                   fields={"rate_card": ["You have no such rate card."]})
        quote = feed_ratecards.quote_price(
            card=card, gross_kg=data["gross_kg"], volume_cbm=data["volume_cbm"],
            containers=data["containers"], cargo_class=data["cargo_class"])
        return Response(self.OutputSerializer({
            "rate_card": card.pk, "version": card.version, "currency": quote.currency,
            "lines": [{**vars(line), "quantity": _plain(line.quantity),
                       "unit_price": _plain(line.unit_price), "amount": format(line.amount, "f")}
                      for line in quote.lines],
            "total": format(quote.total, "f"), "chargeable_kg": _plain(quote.chargeable_kg),
            "revenue_tons": _plain(quote.revenue_tons), "note": quote.note,
        }).data)


# --- advertising: programme terms and spend reports -------------------------------------


class TierIo(serializers.Serializer):
    class Meta:
        ref_name = "FeedProgrammeTier"

    min_spend = _money()
    rebate_percent = StrictDecimalField(max_digits=6, decimal_places=3)


class ProgrammeOutput(serializers.ModelSerializer):
    class Meta:
        model = ChannelProgramme
        ref_name = "FeedProgramme"
        fields = ["id", "name", "channel", "markets", "currency", "minimum_spend", "tiers",
                  "management_fee_percent", "min_flight_days", "updated_at"]


class ProgrammeTermsApi(ObjectApi):
    """Publish the terms of a programme you buy for: minimum spend, tiers, fees."""

    permission_classes = [IsPartner]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FeedProgrammeTermsInput"

        minimum_spend = _money()
        tiers = TierIo(many=True)
        management_fee_percent = StrictDecimalField(max_digits=6, decimal_places=3)
        min_flight_days = StrictIntegerField(min_value=1, required=False)

    @extend_schema(request=InputSerializer, responses=ProgrammeOutput)
    @idempotent
    def put(self, request: Request, programme_id: int) -> Response:
        if not ChannelProgramme.objects.filter(pk=programme_id, partner=_partner(request)).exists():
            raise NotFound()
        data = validated(self.InputSerializer, request.data)
        data["tiers"] = [dict(t) for t in data["tiers"]]
        programme = feed_ads.programme_terms_publish(partner=_partner(request),
                                                     programme_id=programme_id, **data)
        return Response(ProgrammeOutput(programme).data)


class SpendReportOutput(serializers.ModelSerializer):
    class Meta:
        model = SpendReport
        ref_name = "FeedSpendReport"
        fields = ["id", "report_id", "pool", "member", "campaign_reference", "period_from",
                  "period_to", "currency", "spend", "rebate", "fees", "created_at"]


class SpendReportListCreateApi(APIView):
    """Post the actual spend of one member campaign; the last one invoices the pool."""

    permission_classes = [IsPartner]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FeedSpendReportInput"

        report_id = StrictCharField(max_length=60)
        pool = StrictIntegerField()
        member = StrictIntegerField()
        campaign_reference = StrictCharField(max_length=100, required=False, default="")
        period_from = StrictDateField()
        period_to = StrictDateField()
        currency = StrictCharField(max_length=3)
        spend = _money()
        rebate = _money(required=False, default=Decimal(0))
        fees = _money(required=False, default=Decimal(0))

    @extend_schema(responses=SpendReportOutput(many=True))
    def get(self, request: Request) -> Response:
        return paginated(self, request, selectors.spend_reports_for_partner(
            partner=_partner(request)), SpendReportOutput)

    @extend_schema(request=InputSerializer, responses={201: SpendReportOutput})
    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        report, created = feed_ads.spend_report_post(
            partner=_partner(request), pool_id=data.pop("pool"), member_id=data.pop("member"),
            **data)
        return saved(SpendReportOutput(report).data, created=created)


# --- capacity ---------------------------------------------------------------------------


class CapacityOutput(serializers.ModelSerializer):
    class Meta:
        model = CapacityOffer
        ref_name = "FeedCapacityOffer"
        fields = ["id", "origin", "destination", "mode", "departure_date", "cutoff_at",
                  "equipment", "allotment_kg", "allotment_cbm", "rate_card", "created_at"]


class CapacityListCreateApi(APIView):
    """Offer containers or an allotment (kg, CBM) on a departure, with its booking cut-off."""

    permission_classes = [IsPartner]

    class InputSerializer(_Lane, serializers.Serializer):
        class Meta:
            ref_name = "FeedCapacityInput"

        def validate_destination(self, value: str) -> str:
            return _place(value, country_ok=False)

        origin = StrictCharField(max_length=5)
        destination = StrictCharField(max_length=5)
        mode = serializers.ChoiceField(choices=Mode.choices)
        departure_date = StrictDateField()
        cutoff_at = StrictDateTimeField()
        equipment = serializers.DictField(child=StrictIntegerField(), required=False,
                                          default=dict, help_text='{"40HC": 2}')
        allotment_kg = StrictDecimalField(max_digits=14, decimal_places=3, required=False,
                                                allow_null=True)
        allotment_cbm = StrictDecimalField(max_digits=14, decimal_places=6,
                                                 required=False, allow_null=True)
        rate_card = StrictIntegerField(required=False, allow_null=True)

    @extend_schema(responses=CapacityOutput(many=True))
    def get(self, request: Request) -> Response:
        return paginated(self, request, selectors.capacity_offers_for_partner(
            partner=_partner(request)), CapacityOutput)

    @extend_schema(request=InputSerializer, responses={201: CapacityOutput})
    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        offer = feed_capacity.capacity_offer_create(
            partner=_partner(request), origin=data["origin"].upper(),
            destination=data["destination"].upper(), mode=data["mode"],
            departure_date=data["departure_date"], cutoff_at=data["cutoff_at"],
            equipment=data["equipment"], allotment_kg=data.get("allotment_kg"),
            allotment_cbm=data.get("allotment_cbm"), rate_card_id=data.get("rate_card"))
        return Response(CapacityOutput(offer).data, status=status.HTTP_201_CREATED)


# --- bookings ---------------------------------------------------------------------------


class AwaitingPoolOutput(serializers.ModelSerializer):
    class Meta:
        model = Pool
        ref_name = "FeedAwaitingPool"
        fields = ["id", "kind", "state", "origin", "destination", "mode", "market", "ship_date",
                  "flight_from", "flight_to", "currency", "member_count", "projected_total",
                  "plan", "rate_card", "programme"]


class BookingOutput(serializers.ModelSerializer):
    class Meta:
        model = Booking
        ref_name = "FeedBooking"
        fields = ["id", "pool", "status", "reference", "equipment", "etd", "eta",
                  "decline_reason", "created_at"]


class PoolsAwaitingBookingApi(APIView):
    """Locked pools assigned to you that wait for your booking."""

    permission_classes = [IsPartner]

    @extend_schema(responses=AwaitingPoolOutput(many=True))
    def get(self, request: Request) -> Response:
        return paginated(self, request, selectors.pools_awaiting_booking(
            partner=_partner(request)), AwaitingPoolOutput)


class BookingConfirmApi(ObjectApi):
    permission_classes = [IsPartner]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FeedBookingConfirmInput"

        reference = StrictCharField(max_length=60)
        equipment = serializers.DictField(child=StrictIntegerField(min_value=1),
                                          required=False, default=dict, help_text='{"40HC": 1}')
        etd = StrictDateTimeField(required=False, allow_null=True)
        eta = serializers.DateTimeField(required=False, allow_null=True)

    @extend_schema(request=InputSerializer, responses={201: BookingOutput})
    @idempotent
    def post(self, request: Request, pool_id: int) -> Response:
        _own_pool(request, pool_id)
        data = validated(self.InputSerializer, request.data)
        booking = feed_bookings.booking_confirm(partner=_partner(request), pool_id=pool_id,
                                                **data)
        return Response(BookingOutput(booking).data, status=status.HTTP_201_CREATED)


class BookingDeclineApi(ObjectApi):
    permission_classes = [IsPartner]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FeedBookingDeclineInput"

        reason = StrictCharField(max_length=2000)

    @extend_schema(request=InputSerializer, responses={201: BookingOutput})
    @idempotent
    def post(self, request: Request, pool_id: int) -> Response:
        _own_pool(request, pool_id)
        data = validated(self.InputSerializer, request.data)
        booking = feed_bookings.booking_decline(partner=_partner(request), pool_id=pool_id,
                                                reason=data["reason"])
        return Response(BookingOutput(booking).data, status=status.HTTP_201_CREATED)


# --- tracking events --------------------------------------------------------------------


class StoredEventOutput(serializers.ModelSerializer):
    event = serializers.JSONField(source="payload")

    class Meta:
        model = TrackingEvent
        ref_name = "FeedStoredEvent"
        fields = ["id", "pool", "received_at", "is_retracted", "event"]


FEEDBACK_ELEMENT = inline_serializer("DcsaFeedbackElement", {
    "severity": serializers.ChoiceField(choices=["ERROR", "WARN", "INFO"]),
    "message": serializers.CharField(), "propertyPath": serializers.CharField(),
}, many=True)
EVENT_RESULT = inline_serializer("FeedEventResult", {
    "index": serializers.IntegerField(), "eventID": serializers.CharField(),
    "status": serializers.ChoiceField(choices=list(feed_events.STATUSES)),
    "pool": serializers.IntegerField(required=False),
}, many=True)
DCSA_HEADERS = {"API-Version": dcsa.API_VERSION}
POST_EVENTS_RESPONSE = inline_serializer("DcsaPostEventsResponse", {
    "feedbackElements": FEEDBACK_ELEMENT,
    "summary": serializers.DictField(child=serializers.IntegerField()),
    "results": EVENT_RESULT})


def _dcsa_error(message: str, *, path: str = "$", code: str = "dcsa_invalid") -> ApplicationError:
    return ApplicationError(message, fields={path: [message]}, code=code)


class EventsApi(APIView):
    """DCSA Track & Trace 3.0.0 Event Consumer: `POST {"events": [Event, ...]}` (up to 1,000);
    GET lists the events you sent, as stored."""

    permission_classes = [IsPartner]
    # The feed's own parser checks every string per event (NUL, surrogates, lengths), so a
    # bad event gets its feedback element and the rest of the batch is stored.
    parser_classes = [JSONParser]

    def finalize_response(self, request: Request, response: Response, *args: Any,
                          **kwargs: Any) -> Response:
        """Every answer carries `API-Version`; errors also carry the spec's feedbackElements."""
        response = super().finalize_response(request, response, *args, **kwargs)
        response["API-Version"] = dcsa.API_VERSION
        data = getattr(response, "data", None)
        if response.status_code >= 400 and isinstance(data, dict) and "feedbackElements" not in data:
            error = data.get("error") or {}
            fields = error.get("fields") or {}
            data["feedbackElements"] = [
                {"severity": "ERROR", "message": str(message)[:5000], "propertyPath": str(path)[:1000]}
                for path, messages in fields.items() for message in messages
            ] or [{"severity": "ERROR", "message": str(error.get("message", "Request refused."))[:5000],
                   "propertyPath": "$"}]
        return response

    @extend_schema(responses=StoredEventOutput(many=True))
    def get(self, request: Request) -> Response:
        return paginated(self, request, selectors.tracking_events_for_partner(
            partner=_partner(request)), StoredEventOutput)

    @extend_schema(
        request=inline_serializer("DcsaPostEventsRequest", {
            "events": serializers.ListField(child=serializers.JSONField())}),
        responses={
            200: POST_EVENTS_RESPONSE,
            # A batch whose every event was refused is answered like a stored one, as a
            # 400; a request that is not a batch at all gets the one error shape.
            400: OpenApiResponse(
                response={"oneOf": [{"$ref": "#/components/schemas/DcsaPostEventsResponse"},
                                    {"$ref": "#/components/schemas/Error"}]},
                description="Every event of the batch was refused (its feedback elements "
                            "say why), or the request is not a DCSA 3.0.0 batch."),
        },
        description="DCSA T&T 3.0.0 `POST /events`. Each event is checked on its own against the "
                    "published schema: one bad event never fails the batch. `feedbackElements` "
                    "says, by `propertyPath` ($.events[i]...), what was refused (ERROR), ignored or "
                    "stored without a pool (WARN), or already known (INFO). The answer carries "
                    "`API-Version: 3.0.0`. The Beta-1 `{metadata, payload}` shape is refused.",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        version = request.headers.get("API-Version", dcsa.API_VERSION).strip()
        if not version.startswith("3.") or "beta" in version.lower():
            raise ApplicationError(
                f"This endpoint speaks DCSA Track & Trace {dcsa.API_VERSION}; send API-Version: "
                f"{dcsa.API_VERSION} and a body of {{\"events\": [Event, ...]}}.",
                fields={"API-Version": [f"Use {dcsa.API_VERSION}."]}, code="dcsa_version_unsupported")
        data = request.data
        if dcsa.is_beta_shape(data):
            raise ApplicationError(
                "The Track & Trace 3.0.0-Beta-1 shape ({metadata, payload}) is retired: send DCSA "
                f"Track & Trace {dcsa.API_VERSION} events as {{\"events\": [Event, ...]}} with flat "
                "events (eventID, eventDateTime, eventClassification, ...).",
                fields={"$": [f"Send DCSA Track & Trace {dcsa.API_VERSION}: {{\"events\": [...]}}."]},
                code="dcsa_version_unsupported")
        if not isinstance(data, dict) or not isinstance(data.get("events"), list):
            raise _dcsa_error('Send {"events": [Event, ...]} as DCSA Track & Trace 3.0.0 publishes it.',
                              path="$.events")
        result = feed_events.tracking_events_receive(partner=_partner(request), events=data["events"])
        body = {"feedbackElements": result.feedback_elements(), "summary": result.counts,
                "results": [o.as_dict() for o in result.outcomes]}
        code = status.HTTP_400_BAD_REQUEST if result.all_refused else status.HTTP_200_OK
        return Response(body, status=code, headers=DCSA_HEADERS)


class PoolEventsApi(ObjectApi):
    """A member firm reads its pool's tracking events, in DCSA Track & Trace v3 shape."""

    permission_classes = [IsFirmUser]

    @extend_schema(responses=OpenApiResponse(
        response={"type": "array", "items": {"type": "object", "additionalProperties": True}},
        description="The pool's events as their partners sent them (DCSA Track & Trace 3.0.0 "
                    "Event objects), retracted ones left out; an empty list before any."))
    def get(self, request: Request, pool_id: int) -> Response:
        pool = pool_selectors.pool_for_firm(firm=request.firm, pool_id=pool_id)  # type: ignore[attr-defined]
        return Response(list(selectors.tracking_events_for_pool(pool=pool)
                             .filter(is_retracted=False).values_list("payload", flat=True)))


# --- invoices ---------------------------------------------------------------------------


class InvoiceLineIo(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        ref_name = "FeedInvoiceLine"
        fields = ["charge_code", "description", "basis", "quantity", "unit_price", "amount",
                  "applies_to", "container"]
        extra_kwargs = {"description": {"required": False, "default": ""},
                        "applies_to": {"required": False, "default": ""},
                        "container": {"required": False, "default": ""}}


class InvoiceOutput(serializers.ModelSerializer):
    lines = InvoiceLineIo(many=True)
    kind = InvoiceKindField(read_only=True)
    # The number of the invoice a credit note corrects; null on an invoice.
    corrects: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="number", read_only=True, allow_null=True)

    class Meta:
        model = Invoice
        ref_name = "FeedInvoice"
        fields = ["id", "number", "kind", "pool", "corrects", "currency", "issue_date", "total",
                  "lines", "created_at"]


class InvoiceListCreateApi(APIView):
    """Post the invoice (or a credit note) for one of your pools; list yours."""

    permission_classes = [IsPartner]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FeedInvoiceInput"

        pool = serializers.IntegerField()
        number = serializers.CharField(max_length=60)
        kind = InvoiceKindField(required=False, default=Invoice.Kind.INVOICE)
        corrects = serializers.CharField(max_length=60, required=False, default="",
                                         help_text="Credit notes: the invoice number corrected.")
        currency = serializers.CharField(max_length=3)
        issue_date = serializers.DateField()
        lines = InvoiceLineIo(many=True)
        total = _money()

    @extend_schema(responses=InvoiceOutput(many=True))
    def get(self, request: Request) -> Response:
        return paginated(self, request, selectors.invoices_for_partner(
            partner=_partner(request)), InvoiceOutput)

    @extend_schema(request=InputSerializer, responses={201: InvoiceOutput})
    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        invoice, created = feed_invoices.invoice_post(
            partner=_partner(request), pool_id=data.pop("pool"),
            lines=[dict(line) for line in data.pop("lines")], **data)
        return saved(InvoiceOutput(invoice).data, created=created)


class InvoiceDetailApi(ObjectApi):
    permission_classes = [IsPartner]

    @extend_schema(responses=InvoiceOutput)
    def get(self, request: Request, invoice_id: int) -> Response:
        return Response(InvoiceOutput(found(selectors.invoices_for_partner(
            partner=_partner(request)).filter(pk=invoice_id).first())).data)


# --- webhooks ---------------------------------------------------------------------------


class EndpointOutput(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        ref_name = "FeedWebhookEndpoint"
        fields = ["id", "url", "event_types", "dcsa_signature", "is_active", "disabled_reason",
                  "consecutive_failures", "created_at"]


class AttemptOutput(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        ref_name = "FeedWebhookAttempt"
        fields = ["attempted_at", "status_code", "error", "duration_ms"]


class DeliveryOutput(serializers.ModelSerializer):
    attempts = AttemptOutput(many=True)

    class Meta:
        model = WebhookDelivery
        ref_name = "FeedWebhookDelivery"
        fields = ["id", "message_id", "event_type", "payload", "status", "attempt_count",
                  "next_attempt_at", "created_at", "attempts"]


class WebhookListCreateApi(APIView):
    """Register an endpoint (the signing secret is shown once) or list yours."""

    permission_classes = [IsPartner]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FeedWebhookInput"

        url = serializers.CharField(max_length=500)
        event_types = serializers.ListField(
            child=serializers.ChoiceField(choices=webhooks.EVENT_TYPES), required=False,
            default=list, help_text="Empty: every event type.")
        dcsa_signature = serializers.BooleanField(
            required=False, default=False,
            help_text="Also send DCSA's `Notification-Signature: sha256=<hex>` (HMAC-SHA256 of "
                      "the raw body with the same secret).")

    @extend_schema(responses=EndpointOutput(many=True))
    def get(self, request: Request) -> Response:
        return paginated(self, request, selectors.webhook_endpoints_for_partner(
            partner=_partner(request)), EndpointOutput)

    @extend_schema(request=InputSerializer, responses={201: inline_serializer(
        "FeedNewWebhookEndpoint", {"secret": serializers.CharField(
            allow_null=True, help_text="Shown once; null when an Idempotency-Key replays."),
                                   "endpoint": EndpointOutput()})})
    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        new = webhooks.webhook_endpoint_create(partner=_partner(request), **data)
        return Response({"secret": new.secret, "endpoint": EndpointOutput(new.endpoint).data},
                        status=status.HTTP_201_CREATED)


def _own_endpoint(request: Request, endpoint_id: int) -> WebhookEndpoint:
    return found(selectors.webhook_endpoints_for_partner(partner=_partner(request)).filter(
        pk=endpoint_id).first())


class WebhookDetailApi(ObjectApi):
    permission_classes = [IsPartner]

    @extend_schema(responses=EndpointOutput)
    def get(self, request: Request, endpoint_id: int) -> Response:
        return Response(EndpointOutput(_own_endpoint(request, endpoint_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, endpoint_id: int) -> Response:
        webhooks.webhook_endpoint_delete(endpoint=_own_endpoint(request, endpoint_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveriesApi(ObjectApi):
    """Every delivery to the endpoint and every attempt, newest first."""

    permission_classes = [IsPartner]

    @extend_schema(responses=DeliveryOutput(many=True))
    def get(self, request: Request, endpoint_id: int) -> Response:
        endpoint = _own_endpoint(request, endpoint_id)
        return paginated(self, request, selectors.webhook_deliveries_for_endpoint(
            endpoint=endpoint), DeliveryOutput)


# --- FX rates ---------------------------------------------------------------------------


class FxRateOutput(serializers.ModelSerializer):
    class Meta:
        model = FxRate
        ref_name = "FeedFxRate"
        fields = ["id", "base", "quote", "rate", "as_of", "posted_by", "created_at"]


class FxRateListCreateApi(APIView):
    """Coordinators and partners post FX rates; the cooperative never fetches them."""

    def get_permissions(self) -> list[Any]:
        return [IsAuthenticated()] if self.request.method == "GET" else [IsCoordinatorOrPartner()]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FeedFxRateInput"

        base = serializers.CharField(max_length=3)
        quote = serializers.CharField(max_length=3)
        rate = serializers.DecimalField(max_digits=20, decimal_places=10)
        as_of = serializers.DateField()

    @extend_schema(responses=FxRateOutput(many=True))
    def get(self, request: Request) -> Response:
        return paginated(self, request, selectors.fx_rates(), FxRateOutput)

    @extend_schema(request=InputSerializer, responses={201: FxRateOutput})
    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        user = request.user
        posted_by = (f"partner:{user.partner.name}" if isinstance(user, PartnerPrincipal)
                     else f"coordinator:{getattr(user, 'email', '')}")
        rate, created = feed_capacity.fx_rate_post(
            base=data["base"].upper(), quote=data["quote"].upper(), rate=data["rate"],
            as_of=data["as_of"], posted_by=posted_by)
        return saved(FxRateOutput(rate).data, created=created)


urlpatterns = [
    path("partner/rate-cards/", RateCardListCreateApi.as_view(), name="feed-rate-cards"),
    path("partner/rate-cards/<int:card_id>/", RateCardDetailApi.as_view(),
         name="feed-rate-card"),
    path("partner/quote/", QuoteApi.as_view(), name="feed-quote"),
    path("partner/programmes/<int:programme_id>/terms/", ProgrammeTermsApi.as_view(),
         name="feed-programme-terms"),
    path("partner/spend-reports/", SpendReportListCreateApi.as_view(),
         name="feed-spend-reports"),
    path("partner/capacity/", CapacityListCreateApi.as_view(), name="feed-capacity"),
    path("partner/pools/awaiting-booking/", PoolsAwaitingBookingApi.as_view(),
         name="feed-awaiting-booking"),
    path("partner/pools/<int:pool_id>/booking/", BookingConfirmApi.as_view(),
         name="feed-booking-confirm"),
    path("partner/pools/<int:pool_id>/decline/", BookingDeclineApi.as_view(),
         name="feed-booking-decline"),
    path("partner/events/", EventsApi.as_view(), name="feed-events"),
    path("partner/invoices/", InvoiceListCreateApi.as_view(), name="feed-invoices"),
    path("partner/invoices/<int:invoice_id>/", InvoiceDetailApi.as_view(), name="feed-invoice"),
    path("partner/webhooks/", WebhookListCreateApi.as_view(), name="feed-webhooks"),
    path("partner/webhooks/<int:endpoint_id>/", WebhookDetailApi.as_view(),
         name="feed-webhook"),
    path("partner/webhooks/<int:endpoint_id>/deliveries/", WebhookDeliveriesApi.as_view(),
         name="feed-webhook-deliveries"),
    path("pools/<int:pool_id>/events/", PoolEventsApi.as_view(), name="feed-pool-events"),
    path("fx-rates/", FxRateListCreateApi.as_view(), name="feed-fx-rates"),
]
