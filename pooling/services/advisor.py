"""Writes of the channel advisor: a firm keeps its profile, and posts a suggested ad need.

The profile validator serves the API and the web form alike; bad input raises one
`ValidationError` naming every bad field and stores nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Firm
from accounts.reference import GrowthStage, country_codes
from coop.errors import ApplicationError
from pooling.domain.advisor import (
    SALES_BANDS,
    ChannelShare,
    ProfileError,
    Stage,
    channel_shares_from_json,
    channel_shares_to_json,
    stage_from_channels,
)
from pooling.models import AdNeed, FirmProfile, Pool, PoolMember
from pooling.models.advisor import RiskAppetite, StaffLevel
from pooling.services.needs import AdNeedInput, ad_need_post
from pooling.services.pools import pool_join

MAX_MARKETS = 60


@dataclass(frozen=True)
class FirmProfileInput:
    channels: tuple[ChannelShare, ...]
    markets: tuple[str, ...]
    sales_band: str
    content_staff: str
    live_staff: str
    site_staff: str
    has_own_site: bool
    has_brand: bool
    risk_appetite: str
    stage_override: str

    def model_fields(self) -> dict[str, Any]:
        return {
            "channels": channel_shares_to_json(self.channels), "markets": list(self.markets),
            "sales_band": self.sales_band, "content_staff": self.content_staff,
            "live_staff": self.live_staff, "site_staff": self.site_staff,
            "has_own_site": self.has_own_site, "has_brand": self.has_brand,
            "risk_appetite": self.risk_appetite, "stage_override": self.stage_override,
        }

    @property
    def stage(self) -> str:
        used = {c.channel for c in self.channels} | ({"own_site"} if self.has_own_site else set())
        return self.stage_override or stage_from_channels(used).value


def _choice(errors: dict[str, list[str]], raw: Mapping[str, Any], name: str,
            values: list[str], default: str) -> str:
    value = raw.get(name)
    text = default if value in (None, "") else str(value).strip().lower()
    if text not in values:
        errors.setdefault(name, []).append(
            f"'{value}' is not one of {', '.join(v for v in values if v) or 'the choices'}.")
    return text


def _bool(errors: dict[str, list[str]], raw: Mapping[str, Any], name: str) -> bool:
    value = raw.get(name, False)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    errors.setdefault(name, []).append(f"'{value}' is not yes or no.")
    return False


def _markets(errors: dict[str, list[str]], value: Any) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    items = value if isinstance(value, list | tuple) else str(value).replace(";", ",").split(",")
    markets: list[str] = []
    for item in items:
        code = str(item).strip().upper()
        if not code:
            continue
        if code not in country_codes():
            errors.setdefault("markets", []).append(f"'{code}' is not an ISO 3166-1 country code.")
        elif code not in markets:
            markets.append(code)
    if len(markets) > MAX_MARKETS:
        errors.setdefault("markets", []).append(f"Name at most {MAX_MARKETS} markets.")
    return tuple(markets)


def firm_profile_input_parse(raw: Mapping[str, Any]) -> FirmProfileInput:
    """Validate a profile; every field is optional and has a neutral default."""
    errors: dict[str, list[str]] = {}
    try:
        channels = channel_shares_from_json(raw.get("channels"))
    except ProfileError as exc:
        errors.setdefault(exc.field, []).append(exc.message)
        channels = ()
    data = FirmProfileInput(
        channels=channels,
        markets=_markets(errors, raw.get("markets")),
        sales_band=_choice(errors, raw, "sales_band", ["", *SALES_BANDS], ""),
        content_staff=_choice(errors, raw, "content_staff", StaffLevel.values, StaffLevel.NO),
        live_staff=_choice(errors, raw, "live_staff", StaffLevel.values, StaffLevel.NO),
        site_staff=_choice(errors, raw, "site_staff", StaffLevel.values, StaffLevel.NO),
        has_own_site=_bool(errors, raw, "has_own_site"),
        has_brand=_bool(errors, raw, "has_brand"),
        risk_appetite=_choice(errors, raw, "risk_appetite", RiskAppetite.values,
                              RiskAppetite.MEDIUM),
        stage_override=_choice(errors, raw, "stage_override", ["", *GrowthStage.values], ""),
    )
    if errors:
        raise ValidationError(errors)
    return data


def firm_profile_raw(profile: FirmProfile) -> dict[str, Any]:
    return {
        "channels": channel_shares_to_json(channel_shares_from_json(profile.channels)),
        "markets": list(profile.markets), "sales_band": profile.sales_band,
        "content_staff": profile.content_staff, "live_staff": profile.live_staff,
        "site_staff": profile.site_staff, "has_own_site": profile.has_own_site,
        "has_brand": profile.has_brand, "risk_appetite": profile.risk_appetite,
        "stage_override": profile.stage_override,
    }


@transaction.atomic
def firm_profile_save(*, firm: Firm, data: FirmProfileInput) -> FirmProfile:
    """Create or replace the firm's profile; the firm's recorded stage follows it."""
    profile, _ = FirmProfile.objects.update_or_create(
        firm=firm, defaults=data.model_fields())
    stage = Stage(data.stage).value
    if firm.growth_stage != stage:
        Firm.objects.filter(pk=firm.pk).update(growth_stage=stage)
        firm.growth_stage = stage
    return profile


@transaction.atomic
def advisor_ad_need_post(*, firm: Firm, actor: Any, data: AdNeedInput,
                         pool_id: int | None = None) -> tuple[AdNeed, PoolMember | None]:
    """Post the ad need a recommendation suggests and, if it names an open pool, join it.

    One transaction: when the join is refused (full, deadline passed, no longer
    saving), the ad need is not kept either.
    """
    need = ad_need_post(firm=firm, data=data)
    if pool_id is None:
        return need, None
    pool = Pool.objects.filter(pk=pool_id, kind=Pool.Kind.ADS).first()
    if pool is None:
        raise ApplicationError(f"No open ad pool #{pool_id}.",
                               fields={"pool": ["Choose an open pool the advisor suggested."]})
    member = pool_join(pool=pool, firm=firm, actor=actor, need_id=need.pk)
    return need, member
