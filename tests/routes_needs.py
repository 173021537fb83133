from pooling.models import AdNeed, ChannelProgramme, ShippingDemand
from tests.authz import ObjectRoute, register
from tests.factories import AdNeedFactory, ChannelProgrammeFactory, ShippingDemandFactory


def _demand(owner):  # type: ignore[no-untyped-def]
    return ShippingDemandFactory(firm=owner.firm)


def _demand_row(demand):  # type: ignore[no-untyped-def]
    return ShippingDemand.objects.filter(pk=demand.pk).values().get()


def _ad_need(owner):  # type: ignore[no-untyped-def]
    return AdNeedFactory(firm=owner.firm)


def _ad_need_row(need):  # type: ignore[no-untyped-def]
    return AdNeed.objects.filter(pk=need.pk).values().get()


register(
    ObjectRoute(name="demand detail", method="get", path=lambda d: f"/api/v1/demands/{d.pk}/",
                make=_demand, snapshot=_demand_row),
    ObjectRoute(name="demand update", method="patch", path=lambda d: f"/api/v1/demands/{d.pk}/",
                make=_demand, snapshot=_demand_row, body=lambda d: {"gross_kg": "1"}),
    ObjectRoute(name="demand withdraw", method="post",
                path=lambda d: f"/api/v1/demands/{d.pk}/withdraw/", make=_demand,
                snapshot=_demand_row),
    ObjectRoute(name="ad need detail", method="get", path=lambda n: f"/api/v1/ad-needs/{n.pk}/",
                make=_ad_need, snapshot=_ad_need_row),
    ObjectRoute(name="ad need update", method="patch",
                path=lambda n: f"/api/v1/ad-needs/{n.pk}/", make=_ad_need,
                snapshot=_ad_need_row, body=lambda n: {"budget": "1"}),
    ObjectRoute(name="ad need withdraw", method="post",
                path=lambda n: f"/api/v1/ad-needs/{n.pk}/withdraw/", make=_ad_need,
                snapshot=_ad_need_row),
    ObjectRoute(name="programme update", method="patch",
                path=lambda p: f"/api/v1/programmes/{p.pk}/",
                make=lambda owner: ChannelProgrammeFactory(),
                snapshot=lambda p: ChannelProgramme.objects.filter(pk=p.pk).values().get(),
                owner_kind="coordinator", body=lambda p: {"minimum_spend": "1"}),
)
