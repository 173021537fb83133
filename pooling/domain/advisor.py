"""The channel advisor: a firm's stage, how concentrated its channels are, what to add next.

Pure Python, no Django. Small exporters grow along four business models
(marketplace platform -> own site -> social -> livestream): a startup sells on a
marketplace and builds an own site at the same time, the growth stage adds social
channels, the mature stage fuses livestream selling into them. The rules here:

* **Stage** follows from the channels a firm uses: any livestream channel makes it
  mature, else any social channel growth, else startup. A firm may correct it.
* **Concentration** is the Herfindahl-Hirschman index (HHI) of shares in percent,
  0-10,000, per platform (Amazon, eBay, Meta, Google, TikTok, ..., the own site).
  Above 2,500 a mix is "highly concentrated", the line of the US DOJ/FTC Horizontal
  Merger Guidelines (2010, section 5.3); 1,500-2,500 is "moderately concentrated".
  2,500 is 50 squared: any platform holding more than half of the sales or ad
  spend puts the mix above it on its own.
* **Recommendations** take the next one or two channels up the ladder that the firm
  does not use, each with one sentence naming why (stage, concentration, resources,
  market), what the firm needs internally, and a warning where it lacks it.
* **Warnings** for concentration above the threshold and for channels the firm uses
  without the people they need (livestream: presenters; social: content; own site:
  technical and marketing capacity).

`pool_offer` prices joining an open ad pool with `reprice_ads`, the same pricing
matching and re-pricing use, and measures the saving against the cheapest way to
buy the same budget alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from pooling.domain.ad_matching import AdNeedIn, ProgrammeIn, flight_days, standalone_cost
from pooling.domain.money import quantize
from pooling.domain.repricing import reprice_ads

ZERO = Decimal(0)
HUNDRED = Decimal(100)

# US DOJ/FTC Horizontal Merger Guidelines (2010), 5.3: HHI above 2,500 is highly
# concentrated, 1,500 to 2,500 moderately concentrated.
HHI_HIGH = 2500
HHI_MODERATE = 1500
MAX_RECOMMENDATIONS = 2


class Stage(StrEnum):
    STARTUP = "startup"
    GROWTH = "growth"
    MATURE = "mature"


class Model(StrEnum):
    """The four business models, in the order firms add them."""

    MARKETPLACE = "marketplace"
    INDEPENDENT_SITE = "independent_site"
    SOCIAL = "social"
    LIVESTREAM = "livestream"


LADDER = (Model.MARKETPLACE, Model.INDEPENDENT_SITE, Model.SOCIAL, Model.LIVESTREAM)
# The highest model each stage stands on; the next rung is the stage's next step.
STAGE_TOP = {Stage.STARTUP: 1, Stage.GROWTH: 2, Stage.MATURE: 3}


class Factor(StrEnum):
    STAGE = "stage"
    CONCENTRATION = "concentration"
    RESOURCES = "resources"
    MARKET = "market"


class Staff(StrEnum):
    YES = "yes"
    SOME = "some"
    NO = "no"


class Risk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Resource(StrEnum):
    """What a business model needs inside the firm."""

    SITE = "site"
    CONTENT = "content"
    LIVE = "live"


RESOURCE_LABELS = {
    Resource.SITE: "technical and marketing capacity to run an own site",
    Resource.CONTENT: "people who make content (photos, short videos, posts)",
    Resource.LIVE: "people who can present and produce live streams",
}
NEEDS: dict[Model, tuple[Resource, ...]] = {
    Model.MARKETPLACE: (),
    Model.INDEPENDENT_SITE: (Resource.SITE,),
    Model.SOCIAL: (Resource.CONTENT,),
    Model.LIVESTREAM: (Resource.LIVE, Resource.CONTENT),
}


@dataclass(frozen=True)
class SalesChannel:
    code: str
    label: str
    platform: str
    model: Model
    # Catalogue channels (ChannelProgramme.channel) whose traffic serves this channel.
    ad_channels: tuple[str, ...]


def _ch(code: str, label: str, platform: str, model: Model, *ads: str) -> SalesChannel:
    return SalesChannel(code, label, platform, model, ads)


# In each model, the order the advisor suggests them in.
SALES_CHANNELS: dict[str, SalesChannel] = {c.code: c for c in (
    _ch("amazon", "Amazon marketplace", "Amazon", Model.MARKETPLACE, "amazon_sp", "amazon_dsp"),
    _ch("ebay", "eBay", "eBay", Model.MARKETPLACE, "ebay_pl"),
    _ch("aliexpress", "AliExpress", "AliExpress", Model.MARKETPLACE, "aliexpress"),
    _ch("etsy", "Etsy", "Etsy", Model.MARKETPLACE),
    _ch("own_site", "Own site", "Own site", Model.INDEPENDENT_SITE, "google_ads", "meta_ads"),
    _ch("facebook", "Facebook", "Meta", Model.SOCIAL, "meta_ads"),
    _ch("instagram", "Instagram", "Meta", Model.SOCIAL, "instagram_shopping", "meta_ads"),
    _ch("youtube", "YouTube", "Google", Model.SOCIAL, "youtube"),
    _ch("tiktok", "TikTok (sponsored creators)", "TikTok", Model.SOCIAL, "tiktok_ads"),
    _ch("tiktok_live", "TikTok Live/Shop", "TikTok", Model.LIVESTREAM, "tiktok_live"),
    _ch("amazon_live", "Amazon Live", "Amazon", Model.LIVESTREAM, "amazon_live"),
    _ch("instagram_live", "Instagram Live", "Meta", Model.LIVESTREAM),
)}

# Who owns each catalogue channel: ad spend concentrates on these platforms.
AD_PLATFORMS: dict[str, str] = {
    "amazon_sp": "Amazon", "amazon_dsp": "Amazon", "amazon_live": "Amazon",
    "ebay_pl": "eBay", "aliexpress": "AliExpress", "google_ads": "Google", "youtube": "Google",
    "meta_ads": "Meta", "instagram_shopping": "Meta", "tiktok_ads": "TikTok",
    "tiktok_live": "TikTok",
}
# The sales channel an ad need on a catalogue channel shows the firm uses.
AD_CHANNEL_SALES: dict[str, str] = {
    "amazon_sp": "amazon", "amazon_dsp": "amazon", "ebay_pl": "ebay",
    "aliexpress": "aliexpress", "google_ads": "own_site", "youtube": "youtube",
    "instagram_shopping": "instagram", "tiktok_ads": "tiktok", "tiktok_live": "tiktok_live",
    "amazon_live": "amazon_live",
}

# Monthly sales bands, with an indicative monthly ad budget (about a tenth of the
# band's middle) used to prefill an ad need; the firm edits it before posting.
SALES_BANDS: dict[str, tuple[str, Decimal]] = {
    "under_10k": ("under 10,000 a month", Decimal(500)),
    "10k_50k": ("10,000-50,000 a month", Decimal(3000)),
    "50k_250k": ("50,000-250,000 a month", Decimal(15000)),
    "250k_1m": ("250,000-1,000,000 a month", Decimal(60000)),
    "over_1m": ("over 1,000,000 a month", Decimal(150000)),
}


class ProfileError(ValueError):
    """A stored or posted profile that does not follow the rules; names the field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


# ------------------------------------------------------------------ the profile


@dataclass(frozen=True)
class ChannelShare:
    channel: str
    share: int  # rough percent of sales


def channel_shares_from_json(raw: object) -> tuple[ChannelShare, ...]:
    """The one reader of the stored `channels` list: [{"channel": "amazon", "share": 70}]."""
    if raw in (None, ""):
        return ()
    if not isinstance(raw, list):
        raise ProfileError("channels", "Give the channels as a list of {channel, share}.")
    out: list[ChannelShare] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        where = f"channels.{index}"
        if not isinstance(item, Mapping):
            raise ProfileError(where, "Each channel is an object with 'channel' and 'share'.")
        code = str(item.get("channel", "")).strip()
        if code not in SALES_CHANNELS:
            known = ", ".join(SALES_CHANNELS)
            raise ProfileError(f"{where}.channel", f"'{code}' is not a known channel ({known}).")
        if code in seen:
            raise ProfileError(f"{where}.channel", f"{SALES_CHANNELS[code].label} is listed twice.")
        seen.add(code)
        share = item.get("share", 0)
        if isinstance(share, bool):
            raise ProfileError(f"{where}.share", "The share is a whole percent from 0 to 100.")
        try:
            value = Decimal(str(share).strip() or "0")
        except ArithmeticError:
            value = Decimal(-1)
        if not value.is_finite() or value != value.to_integral_value() or not 0 <= value <= 100:
            raise ProfileError(f"{where}.share", "The share is a whole percent from 0 to 100.")
        out.append(ChannelShare(code, int(value)))
    if sum(c.share for c in out) > 100:
        raise ProfileError("channels", "The shares of sales add up to more than 100%.")
    return tuple(out)


def channel_shares_to_json(shares: Iterable[ChannelShare]) -> list[dict[str, object]]:
    return [{"channel": s.channel, "share": s.share} for s in shares]


@dataclass(frozen=True)
class ProfileIn:
    """What a firm tells the advisor about itself; every field has a neutral default."""

    channels: tuple[ChannelShare, ...] = ()
    markets: tuple[str, ...] = ()
    sales_band: str = ""
    content_staff: Staff = Staff.NO
    live_staff: Staff = Staff.NO
    site_staff: Staff = Staff.NO
    has_own_site: bool = False
    has_brand: bool = False
    risk_appetite: Risk = Risk.MEDIUM
    stage_override: Stage | None = None

    def used(self) -> frozenset[str]:
        codes = {c.channel for c in self.channels}
        if self.has_own_site:
            codes.add("own_site")
        return frozenset(codes)

    def staff(self, resource: Resource) -> Staff:
        return {Resource.SITE: self.site_staff, Resource.CONTENT: self.content_staff,
                Resource.LIVE: self.live_staff}[resource]


def stage_from_channels(channels: Iterable[str]) -> Stage:
    """Livestream makes a firm mature, social makes it growth; otherwise it is a startup."""
    models = {SALES_CHANNELS[c].model for c in channels if c in SALES_CHANNELS}
    if Model.LIVESTREAM in models:
        return Stage.MATURE
    if Model.SOCIAL in models:
        return Stage.GROWTH
    return Stage.STARTUP


# --------------------------------------------------------------- concentration


@dataclass(frozen=True)
class Concentration:
    """HHI of one mix (sales per channel platform, or ad spend per platform)."""

    source: str  # "sales" or "ad_spend"
    hhi: int
    shares: tuple[tuple[str, Decimal], ...]  # (platform, percent), largest first
    dominant: str | None
    dominant_share: Decimal

    @property
    def level(self) -> str:
        if self.hhi > HHI_HIGH:
            return "highly concentrated"
        if self.hhi >= HHI_MODERATE:
            return "moderately concentrated"
        return "unconcentrated"

    @property
    def above_threshold(self) -> bool:
        return self.hhi > HHI_HIGH


def concentration(source: str, weights: Mapping[str, Decimal]) -> Concentration | None:
    """HHI of `weights` per platform as shares in percent; None when nothing is known.

    HHI = sum of squared percent shares, 0-10,000, rounded half up to a whole number.
    """
    positive = {k: Decimal(v) for k, v in weights.items() if Decimal(v) > 0}
    total = sum(positive.values(), ZERO)
    if total <= 0:
        return None
    shares = {k: v * HUNDRED / total for k, v in positive.items()}
    hhi = sum((s * s for s in shares.values()), ZERO)
    ordered = sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))
    rounded = tuple((k, v.quantize(Decimal("0.1"), ROUND_HALF_UP)) for k, v in ordered)
    return Concentration(source, int(hhi.quantize(Decimal(1), ROUND_HALF_UP)), rounded,
                         ordered[0][0], rounded[0][1])


def sales_weights(profile: ProfileIn) -> dict[str, Decimal]:
    """Share of sales per platform, from the profile's channels."""
    out: dict[str, Decimal] = {}
    for c in profile.channels:
        platform = SALES_CHANNELS[c.channel].platform
        out[platform] = out.get(platform, ZERO) + Decimal(c.share)
    return out


@dataclass(frozen=True)
class SpendLine:
    """Ad spend on one catalogue channel, already in one currency."""

    ad_channel: str
    amount: Decimal


def spend_weights(lines: Iterable[SpendLine]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for line in lines:
        platform = AD_PLATFORMS.get(line.ad_channel, line.ad_channel)
        out[platform] = out.get(platform, ZERO) + line.amount
    return out


# ------------------------------------------------------------ recommendations


@dataclass(frozen=True)
class AdviceWarning:
    factor: Factor
    kind: str  # "concentration" or "resources"
    message: str


@dataclass(frozen=True)
class Recommendation:
    channel: str
    label: str
    model: Model
    factors: tuple[Factor, ...]  # never empty; the first leads, `why` names each
    why: str
    needs: tuple[str, ...]
    warnings: tuple[str, ...]
    ad_channels: tuple[str, ...]


@dataclass(frozen=True)
class CatalogueOffer:
    """A catalogue programme as the advisor sees it: which channel, which markets."""

    ad_channel: str
    markets: frozenset[str]


@dataclass(frozen=True)
class Advice:
    stage: Stage
    derived_stage: Stage
    used: tuple[str, ...]
    sales: Concentration | None
    ad_spend: Concentration | None
    warnings: tuple[AdviceWarning, ...]
    recommendations: tuple[Recommendation, ...]


def _lacking(profile: ProfileIn, model: Model) -> list[Resource]:
    return [r for r in NEEDS[model] if profile.staff(r) is Staff.NO]


def resource_warnings(profile: ProfileIn) -> list[AdviceWarning]:
    """Channels the firm already uses without the people they need."""
    warnings: list[AdviceWarning] = []
    used_models = {SALES_CHANNELS[c].model for c in profile.used()}
    for model in LADDER:
        if model not in used_models:
            continue
        for resource in _lacking(profile, model):
            names = ", ".join(sorted(SALES_CHANNELS[c].label for c in profile.used()
                                     if SALES_CHANNELS[c].model is model))
            warnings.append(AdviceWarning(
                Factor.RESOURCES, "resources",
                f"You sell on {names} but report no {RESOURCE_LABELS[resource]}: "
                f"the channel mix does not match your resources."))
    return warnings


def concentration_warning(c: Concentration) -> AdviceWarning | None:
    if not c.above_threshold:
        return None
    what = "sales are" if c.source == "sales" else "ad spend is"
    return AdviceWarning(
        Factor.CONCENTRATION, "concentration",
        f"Your {what} highly concentrated: HHI {c.hhi:,} is above {HHI_HIGH:,}, "
        f"and {c.dominant} holds {percent_text(c.dominant_share)}.")


def percent_text(value: Decimal) -> str:
    return f"{format(value.normalize(), 'f')}%"


def _served(channel: SalesChannel, markets: Sequence[str],
            catalogue: Sequence[CatalogueOffer]) -> list[str]:
    """The firm's markets a catalogue programme for this channel serves."""
    return sorted({m for o in catalogue if o.ad_channel in channel.ad_channels
                   for m in o.markets if m in markets})


def _candidates(profile: ProfileIn, stage: Stage) -> list[tuple[SalesChannel, Factor]]:
    """Unused channels, rung by rung: gaps below the stage's top, then the next step."""
    used = profile.used()
    used_models = {SALES_CHANNELS[c].model for c in used}
    top = STAGE_TOP[stage]
    out: list[tuple[SalesChannel, Factor]] = []
    for index, model in enumerate(LADDER):
        if index <= top and model not in used_models:
            out.extend((c, Factor.STAGE) for c in _in_model(model, used))
        elif index == top + 1:
            out.extend((c, Factor.STAGE) for c in _in_model(model, used))
    # Then widen the rungs the firm stands on with channels it does not use yet.
    taken = {c.code for c, _ in out}
    out.extend((c, Factor.CONCENTRATION) for model in LADDER[:top + 1]
               for c in _in_model(model, used) if c.code not in taken)
    return out


def _in_model(model: Model, used: frozenset[str]) -> list[SalesChannel]:
    return [c for c in SALES_CHANNELS.values() if c.model is model and c.code not in used]


def _why(channel: SalesChannel, factors: Sequence[Factor], stage: Stage, *,
         dominant: str | None, served: Sequence[str], lacking: Sequence[Resource]) -> str:
    """One sentence; each factor it rests on is named in brackets."""
    if factors[0] is Factor.CONCENTRATION:
        lead = (f"{channel.label} moves sales off {dominant}, which dominates your mix"
                if dominant and channel.platform != dominant else
                f"{channel.label} spreads your sales over one more channel on a rung you "
                f"already stand on")
        lead += " (concentration)"
    else:
        step = {
            Model.MARKETPLACE: "a startup sells on a marketplace platform first",
            Model.INDEPENDENT_SITE: "a startup builds an own site next to its marketplace",
            Model.SOCIAL: "the growth stage adds social channels",
            Model.LIVESTREAM: "the mature stage fuses livestream selling into the others",
        }[channel.model]
        lead = f"{channel.label} is your next step as a {stage.value}-stage firm: {step} (stage)"
        if Factor.CONCENTRATION in factors and dominant:
            lead += f", and it is not on {dominant}, which dominates your mix (concentration)"
    if Factor.MARKET in factors:
        lead += f"; catalogue programmes reach {', '.join(served)} (market)"
    if lacking:
        missing = " and ".join(RESOURCE_LABELS[r] for r in lacking)
        lead += f"; it needs {missing}, which you lack (resources)"
    return lead + "."


def recommend(profile: ProfileIn, *, stage: Stage, dominant: str | None = None,
              catalogue: Sequence[CatalogueOffer] = (),
              limit: int = MAX_RECOMMENDATIONS) -> tuple[Recommendation, ...]:
    """The next channel or two to add; never one the firm already uses."""
    markets = list(profile.markets)
    cautious = profile.risk_appetite is Risk.LOW
    scored: list[tuple[tuple[int, ...], SalesChannel, list[Factor], list[str]]] = []
    for order, (channel, base) in enumerate(_candidates(profile, stage)):
        if base is Factor.CONCENTRATION and channel.platform == dominant:
            continue  # widening onto the platform that dominates would not spread anything
        lacking = _lacking(profile, channel.model)
        served = _served(channel, markets, catalogue)
        off_dominant = dominant is not None and channel.platform != dominant
        factors = [base]
        if off_dominant:
            factors.append(Factor.CONCENTRATION)
        if served:
            factors.append(Factor.MARKET)
        if lacking:
            factors.append(Factor.RESOURCES)
        # Stage order first (a cautious firm puts what it can staff before it); then
        # channels it can staff, channels off the dominant platform, the catalogue's reach.
        key = (
            int(bool(lacking)) if cautious else 0,
            0 if base is Factor.STAGE else 1,
            int(bool(lacking)),
            0 if dominant is None or off_dominant else 1,
            0 if served else 1,
            order,
        )
        scored.append((key, channel, list(dict.fromkeys(factors)), served))
    scored.sort(key=lambda item: item[0])
    picked: list[tuple[SalesChannel, list[Factor], list[str]]] = []
    while scored and len(picked) < limit:
        # Two different steps rather than two channels of one model, when there is a choice.
        models = {c.model for c, _, _ in picked}
        index = next((i for i, (_, c, _, _) in enumerate(scored) if c.model not in models), 0)
        _, channel, factors, served = scored.pop(index)
        picked.append((channel, factors, served))
    out: list[Recommendation] = []
    for channel, factors, served in picked:
        lacking = _lacking(profile, channel.model)
        needs = tuple(RESOURCE_LABELS[r] for r in NEEDS[channel.model])
        warnings = tuple(f"You report no {RESOURCE_LABELS[r]}: plan for them before you start."
                         for r in lacking)
        if channel.model is Model.INDEPENDENT_SITE and not profile.has_brand:
            needs += ("a brand shoppers recognise off the marketplace",)
            warnings += ("You report no brand yet: an own site sells on a brand.",)
        why = _why(channel, factors, stage, dominant=dominant, served=served, lacking=lacking)
        out.append(Recommendation(channel.code, channel.label, channel.model, tuple(factors),
                                  why, needs, warnings, channel.ad_channels))
    return tuple(out)


def advise(profile: ProfileIn, *, spend: Iterable[SpendLine] = (),
           catalogue: Sequence[CatalogueOffer] = (), fallback_stage: Stage | None = None,
           limit: int = MAX_RECOMMENDATIONS) -> Advice:
    """Stage, concentration, warnings and recommendations for one firm.

    With no channels in the profile (or no profile at all), the stage is the firm's
    recorded one (`fallback_stage`) unless corrected.
    """
    used = profile.used()
    derived = stage_from_channels(used) if used or fallback_stage is None else fallback_stage
    stage = profile.stage_override or derived
    sales = concentration("sales", sales_weights(profile))
    ads = concentration("ad_spend", spend_weights(spend))
    warnings: list[AdviceWarning] = [w for c in (sales, ads) if c is not None
                               for w in [concentration_warning(c)] if w is not None]
    warnings.extend(resource_warnings(profile))
    dominant = next((c.dominant for c in (sales, ads) if c is not None and c.above_threshold),
                    None)
    recs = recommend(profile, stage=stage, dominant=dominant, catalogue=catalogue, limit=limit)
    return Advice(stage, derived, tuple(sorted(used)), sales, ads, tuple(warnings), recs)


# ------------------------------------------------------------- pooling offers


@dataclass(frozen=True)
class OpenPoolIn:
    """An open ads pool: its programme, market, flight and the needs of its live members."""

    id: int
    programme_id: int
    market: str
    flight_from: date
    flight_to: date
    capacity: int
    member_count: int
    members: tuple[AdNeedIn, ...]


@dataclass(frozen=True)
class PoolOffer:
    pool_id: int
    programme_id: int
    market: str
    budget: Decimal
    currency: str
    share: Decimal
    pooled_spend: Decimal
    unlocks: bool  # the firm cannot reach the minimum alone; the pool can
    yardstick: Decimal
    yardstick_note: str
    saving: Decimal
    flight_from: date
    flight_to: date


def suggested_budget(sales_band: str, days: int) -> Decimal:
    """The band's monthly ad budget over the flight, in whole hundreds; at least 100."""
    monthly = SALES_BANDS.get(sales_band, ("", Decimal(1000)))[1]
    budget = (monthly * Decimal(days) / Decimal(30) / HUNDRED).quantize(Decimal(1), ROUND_HALF_UP)
    return max(budget * HUNDRED, HUNDRED)


def pool_misfit(pool: OpenPoolIn, programme: ProgrammeIn, need: AdNeedIn) -> str:
    """Why the firm's need could not join this pool, or "" (the join checks again)."""
    if pool.member_count >= pool.capacity:
        return "the pool is full"
    if any(m.firm_id == need.firm_id for m in pool.members):
        return "your firm is already a member"
    start, end = max(pool.flight_from, need.flight_from), min(pool.flight_to, need.flight_to)
    if flight_days(start, end) < programme.min_flight_days:
        return "the flights overlap too briefly"
    if programme.category_exclusive and any(m.category == need.category for m in pool.members):
        return "a member sells in the same category"
    if any(need.firm_id in m.excluded_firm_ids for m in pool.members) or any(
            m.firm_id in need.excluded_firm_ids for m in pool.members):
        return "a member does not pool with your firm"
    return ""


def pool_offer(programme: ProgrammeIn, pool: OpenPoolIn, need: AdNeedIn,
               alternatives: Sequence[ProgrammeIn] = ()) -> PoolOffer | None:
    """What joining `pool` with `need` would cost, unlock and save; None if it would not qualify.

    The yardstick is the cheapest standalone cost of the same budget on this
    programme or an alternative one (same channel, market and currency) the firm
    reaches alone; with none, the budget itself at list price.
    """
    priced = reprice_ads(programme, pool.market, [*pool.members, need],
                         capacity=max(pool.capacity, pool.member_count + 1))
    if not priced.qualifies or priced.proposal is None:
        return None
    row = next(r for r in priced.proposal.members if r.need_id == need.id)
    cur = programme.currency
    alone = [(cost, p.name) for p in (programme, *alternatives)
             if p.currency == cur and pool.market in p.markets
             for cost in [standalone_cost(p, need.budget)] if cost is not None]
    if alone:
        yardstick, name = min(alone, key=lambda a: a[0])
        note = f"buying alone on {name}"
    else:
        yardstick, note = quantize(need.budget, cur), "the budget at list price (no access alone)"
    spend = Decimal(str(priced.proposal.plan["pooled_spend"]))
    return PoolOffer(
        pool_id=pool.id, programme_id=programme.id, market=pool.market,
        budget=quantize(need.budget, cur), currency=cur, share=row.share, pooled_spend=spend,
        unlocks=need.budget < programme.minimum_spend <= spend, yardstick=yardstick,
        yardstick_note=note, saving=yardstick - row.share, flight_from=need.flight_from,
        flight_to=need.flight_to,
    )


__all__ = [
    "AD_CHANNEL_SALES", "AD_PLATFORMS", "HHI_HIGH", "HHI_MODERATE", "SALES_BANDS",
    "SALES_CHANNELS", "Advice", "CatalogueOffer", "ChannelShare", "Concentration",
    "Factor", "Model", "OpenPoolIn", "PoolOffer", "ProfileError", "ProfileIn",
    "AdviceWarning", "Recommendation", "Risk", "SpendLine", "Stage", "Staff", "advise",
    "channel_shares_from_json", "channel_shares_to_json", "concentration", "pool_misfit",
    "pool_offer", "recommend", "resource_warnings", "stage_from_channels", "suggested_budget",
]
