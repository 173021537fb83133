"""The channel advisor's rules: stages, concentration, recommendations and warnings."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pooling.domain.ad_matching import AdNeedIn, ProgrammeIn, Tier
from pooling.domain.advisor import (
    HHI_HIGH,
    SALES_CHANNELS,
    CatalogueOffer,
    ChannelShare,
    Factor,
    OpenPoolIn,
    ProfileError,
    ProfileIn,
    Risk,
    SpendLine,
    Staff,
    Stage,
    advise,
    channel_shares_from_json,
    concentration,
    pool_offer,
    stage_from_channels,
)


def profile(*shares: tuple[str, int], **kwargs: object) -> ProfileIn:
    return ProfileIn(channels=tuple(ChannelShare(c, s) for c, s in shares), **kwargs)  # type: ignore[arg-type]


STAFFED = {"content_staff": Staff.YES, "live_staff": Staff.YES, "site_staff": Staff.YES,
           "has_brand": True}

# ------------------------------------------------------------------ one per stage

STAGES = [
    # (name, profile, stage, recommended channels in order, lead factor of the first)
    ("startup on a marketplace alone adds its own site",
     profile(("amazon", 25), ("ebay", 25), ("aliexpress", 25), ("etsy", 25), **STAFFED),
     Stage.STARTUP, ["own_site", "facebook"], Factor.STAGE),
    ("growth adds livestream",
     profile(("amazon", 25), ("own_site", 25), ("facebook", 25), ("youtube", 25), **STAFFED),
     Stage.GROWTH, ["tiktok_live", "ebay"], Factor.STAGE),
    ("mature on every rung widens the mix",
     profile(("amazon", 25), ("own_site", 25), ("instagram", 25), ("tiktok_live", 25), **STAFFED),
     Stage.MATURE, ["ebay", "facebook"], Factor.CONCENTRATION),
]


@pytest.mark.parametrize(("name", "given_profile", "stage", "channels", "lead"), STAGES,
                         ids=[s[0] for s in STAGES])
def test_each_stage_gets_its_next_step(name, given_profile, stage, channels, lead):
    advice = advise(given_profile)

    assert advice.stage is stage
    assert [r.channel for r in advice.recommendations] == channels
    assert advice.recommendations[0].factors[0] is lead
    assert f"({lead.value})" in advice.recommendations[0].why
    assert advice.warnings == ()


def test_the_firm_corrects_its_stage_and_the_steps_follow():
    given_profile = profile(("amazon", 60), ("own_site", 40), stage_override=Stage.GROWTH,
                            **STAFFED)

    advice = advise(given_profile)

    assert advice.derived_stage is Stage.STARTUP
    assert advice.stage is Stage.GROWTH
    # the gap below the corrected stage first, then the growth stage's next step
    assert [r.channel for r in advice.recommendations] == ["facebook", "tiktok_live"]


def test_without_channels_the_recorded_stage_stands():
    assert advise(ProfileIn(), fallback_stage=Stage.GROWTH).stage is Stage.GROWTH
    assert advise(ProfileIn()).stage is Stage.STARTUP
    assert [r.channel for r in advise(ProfileIn(**STAFFED)).recommendations] == ["amazon",
                                                                                 "own_site"]


@pytest.mark.parametrize(("channels", "stage"), [
    ((), Stage.STARTUP), (("amazon", "own_site"), Stage.STARTUP), (("etsy", "instagram"), Stage.GROWTH),
    (("amazon_live",), Stage.MATURE), (("facebook", "instagram_live"), Stage.MATURE),
])
def test_stage_follows_from_channels(channels, stage):
    assert stage_from_channels(channels) is stage


# ------------------------------------------------------------------ one per warning

WARNINGS = [
    # (name, profile, spend, kind, text in the message)
    ("sales on one platform", profile(("amazon", 80), ("own_site", 20), **STAFFED), [],
     "concentration",
     "Your sales are highly concentrated: HHI 6,800 is above 2,500, and Amazon holds 80%."),
    ("ad spend on one platform",
     profile(("amazon", 25), ("ebay", 25), ("own_site", 25), ("facebook", 25), **STAFFED),
     [SpendLine("amazon_dsp", Decimal(9000)), SpendLine("meta_ads", Decimal(1000))],
     "concentration",
     "Your ad spend is highly concentrated: HHI 8,200 is above 2,500, and Amazon holds 90%."),
    ("livestream without presenters",
     profile(("amazon", 25), ("own_site", 25), ("facebook", 25), ("tiktok_live", 25),
             **{**STAFFED, "live_staff": Staff.NO}), [],
     "resources", "You sell on TikTok Live/Shop but report no people who can present and produce"),
    ("social without content",
     profile(("amazon", 25), ("own_site", 25), ("facebook", 25), ("youtube", 25),
             **{**STAFFED, "content_staff": Staff.NO}), [],
     "resources", "You sell on Facebook, YouTube but report no people who make content"),
    ("own site without technical capacity",
     profile(("amazon", 25), ("ebay", 25), ("aliexpress", 25), ("own_site", 25),
             **{**STAFFED, "site_staff": Staff.NO}), [],
     "resources", "You sell on Own site but report no technical and marketing capacity"),
]


@pytest.mark.parametrize(("name", "given_profile", "spend", "kind", "text"), WARNINGS,
                         ids=[w[0] for w in WARNINGS])
def test_each_warning(name, given_profile, spend, kind, text):
    advice = advise(given_profile, spend=spend)

    assert [w.kind for w in advice.warnings] == [kind]
    assert text in advice.warnings[0].message


def test_a_recommended_channel_the_firm_cannot_staff_carries_a_warning():
    given_profile = profile(("amazon", 40), ("own_site", 30), ("facebook", 30),
                            **{**STAFFED, "live_staff": Staff.NO})

    rec = advise(given_profile).recommendations[0]

    assert rec.channel == "tiktok_live"
    assert Factor.RESOURCES in rec.factors
    assert rec.warnings == ("You report no people who can present and produce live streams: "
                            "plan for them before you start.",)


def test_a_cautious_firm_gets_what_it_can_staff_when_there_is_a_choice():
    given_profile = profile(("amazon", 40), ("own_site", 30), ("facebook", 30),
                            **{**STAFFED, "live_staff": Staff.NO}, risk_appetite=Risk.LOW)

    recs = advise(given_profile).recommendations

    assert [r.channel for r in recs] == ["ebay", "instagram"]
    assert all(r.warnings == () for r in recs)


def test_concentration_moves_the_next_step_off_the_dominant_platform():
    given_profile = profile(("amazon", 70), ("own_site", 10), ("instagram", 20), **STAFFED)

    recs = advise(given_profile).recommendations

    assert recs[0].channel == "tiktok_live"  # not Amazon Live
    assert Factor.CONCENTRATION in recs[0].factors
    assert "not on Amazon" in recs[0].why


def test_the_catalogue_names_the_market():
    given_profile = profile(("amazon", 50), ("own_site", 50), markets=("US", "JP"), **STAFFED)
    catalogue = [CatalogueOffer("youtube", frozenset({"US", "GB"}))]

    rec = advise(given_profile, catalogue=catalogue).recommendations[0]

    assert rec.channel == "youtube"
    assert Factor.MARKET in rec.factors
    assert rec.why.endswith("catalogue programmes reach US (market).")


def test_hhi_and_its_bands():
    c = concentration("sales", {"A": Decimal(50), "B": Decimal(50)})
    assert (c.hhi, c.level, c.above_threshold) == (5000, "highly concentrated", True)
    c = concentration("sales", {k: Decimal(1) for k in "ABCD"})
    assert (c.hhi, c.level, c.above_threshold) == (2500, "moderately concentrated", False)
    c = concentration("sales", {k: Decimal(1) for k in "ABCDEFGHIJ"})
    assert (c.hhi, c.level) == (1000, "unconcentrated")
    assert concentration("sales", {"A": Decimal(0)}) is None


@pytest.mark.parametrize(("raw", "field"), [
    ("amazon", "channels"), ([{"channel": "myspace", "share": 5}], "channels.0.channel"),
    ([{"channel": "amazon", "share": 101}], "channels.0.share"),
    ([{"channel": "amazon", "share": "1.5"}], "channels.0.share"),
    ([{"channel": "amazon", "share": 60}, {"channel": "amazon", "share": 5}], "channels.1.channel"),
    ([{"channel": "amazon", "share": 60}, {"channel": "ebay", "share": 50}], "channels"),
])
def test_bad_channel_lists_name_the_field(raw, field):
    with pytest.raises(ProfileError) as exc:
        channel_shares_from_json(raw)
    assert exc.value.field == field


# ------------------------------------------------------------------ pooling offers

META = ProgrammeIn(id=1, name="Meta pool", currency="EUR", markets=frozenset({"US"}),
                   minimum_spend=Decimal(10000), tiers=(Tier(Decimal(10000), Decimal(2)),),
                   management_fee_percent=Decimal(8), standalone_fee_percent=Decimal(14),
                   min_flight_days=14, category_exclusive=True)
DAY = dt.date(2030, 3, 1)


def _need(id_: int, firm: int, budget: int, category: str) -> AdNeedIn:
    return AdNeedIn(id=id_, firm_id=firm, programme_id=1, market="US", budget=Decimal(budget),
                    currency="EUR", flight_from=DAY, flight_to=DAY + dt.timedelta(days=44),
                    category=category, excluded_firm_ids=frozenset())


def test_an_open_pool_unlocks_a_programme_the_firm_cannot_reach_alone():
    pool = OpenPoolIn(id=9, programme_id=1, market="US", flight_from=DAY,
                      flight_to=DAY + dt.timedelta(days=44), capacity=4, member_count=2,
                      members=(_need(1, 1, 6000, "electronics"), _need(2, 2, 5500, "apparel")))

    offer = pool_offer(META, pool, _need(0, 3, 4500, "home"))

    assert offer is not None
    assert offer.unlocks and offer.pooled_spend == Decimal(16000)
    # 4,500 less its 2% rebate share (90) plus its 8% fee share (360)
    assert offer.share == Decimal("4770.00")
    assert offer.yardstick == Decimal("4500.00")
    assert offer.saving == Decimal("-270.00")


# ------------------------------------------------------------------ properties

CODES = sorted(SALES_CHANNELS)
# up to 8 channels of at most 12% each: never above 100% together, so nothing is filtered
shares = st.lists(st.tuples(st.sampled_from(CODES), st.integers(0, 12)), max_size=8,
                  unique_by=lambda t: t[0])
profiles = st.builds(
    lambda chans, staff, own, brand, risk, stage, markets: ProfileIn(
        channels=tuple(ChannelShare(c, s) for c, s in chans), content_staff=staff[0],
        live_staff=staff[1], site_staff=staff[2], has_own_site=own, has_brand=brand,
        risk_appetite=risk, stage_override=stage, markets=tuple(markets)),
    shares, st.tuples(*[st.sampled_from(Staff)] * 3), st.booleans(), st.booleans(),
    st.sampled_from(Risk), st.none() | st.sampled_from(Stage),
    st.lists(st.sampled_from(["US", "GB", "DE", "JP"]), max_size=3, unique=True))
catalogues = st.lists(st.builds(CatalogueOffer, st.sampled_from(
    ["amazon_dsp", "google_ads", "meta_ads", "youtube", "tiktok_live", "ebay_pl"]),
    st.frozensets(st.sampled_from(["US", "GB", "DE"]), max_size=3)), max_size=4)
spends = st.lists(st.builds(SpendLine, st.sampled_from(["amazon_dsp", "meta_ads", "google_ads"]),
                            st.decimals(1, 100000, places=2)), max_size=5)


# The machine running the suite is shared; generation speed is not what these test.
relaxed = settings(suppress_health_check=[HealthCheck.too_slow])


@relaxed
@given(profiles, spends, catalogues)
def test_property_recommendations_never_repeat_a_used_channel_and_name_a_factor(p, spend, cat):
    advice = advise(p, spend=spend, catalogue=cat)

    channels = [r.channel for r in advice.recommendations]
    assert not set(channels) & p.used()
    assert len(channels) == len(set(channels)) <= 2
    for rec in advice.recommendations:
        assert rec.factors
        assert all(f"({f.value})" in rec.why for f in rec.factors)


@relaxed
@given(st.sampled_from(CODES), st.integers(51, 100), profiles)
def test_property_one_platform_above_the_threshold_is_always_warned(code, big, p):
    # given one platform with more than half the sales: its square alone is above 2,500
    rest = [c for c in p.channels if SALES_CHANNELS[c.channel].platform
            != SALES_CHANNELS[code].platform][: 3]
    left = 100 - big
    rest = [ChannelShare(c.channel, min(c.share, left // max(len(rest), 1))) for c in rest]
    given_profile = replace(p, channels=(ChannelShare(code, big), *rest))

    advice = advise(given_profile)

    assert advice.sales is not None and advice.sales.hhi > HHI_HIGH
    warned = [w for w in advice.warnings if w.kind == "concentration"]
    assert warned and SALES_CHANNELS[code].platform in warned[0].message


@relaxed
@given(st.lists(st.tuples(st.sampled_from(CODES), st.integers(0, 100)), max_size=3,
                unique_by=lambda t: t[0]).map(lambda xs: xs[:1] if sum(s for _, s in xs) > 100 else xs),
       spends)
def test_property_the_warning_follows_the_threshold_exactly(chans, spend):
    p = ProfileIn(channels=tuple(ChannelShare(c, s) for c, s in chans))
    advice = advise(p, spend=spend)
    expected = [c.source for c in (advice.sales, advice.ad_spend)
                if c is not None and c.hhi > HHI_HIGH]
    assert len([w for w in advice.warnings if w.kind == "concentration"]) == len(expected)


@relaxed
@given(st.sampled_from(CODES), st.integers(51, 100), profiles)
def test_property_widening_never_lands_on_the_dominant_platform(code, big, p):
    given_profile = replace(p, channels=(ChannelShare(code, big),), stage_override=Stage.MATURE)

    advice = advise(given_profile)

    dominant = SALES_CHANNELS[code].platform
    for rec in advice.recommendations:
        if rec.factors[0] is Factor.CONCENTRATION:
            assert SALES_CHANNELS[rec.channel].platform != dominant
