from accounts.models import Firm, Partner, PartnerAPIKey
from tests.authz import ObjectRoute, register

register(
    ObjectRoute(
        name="firm detail",
        method="get",
        path=lambda firm: f"/api/v1/firms/{firm.pk}/",
        make=lambda owner: owner.firm,
        snapshot=lambda firm: Firm.objects.filter(pk=firm.pk).values().get(),
    ),
    ObjectRoute(
        name="partner keys issue",
        method="post",
        path=lambda partner: f"/api/v1/partners/{partner.pk}/keys/",
        make=lambda owner: owner.partner,
        snapshot=lambda partner: PartnerAPIKey.objects.filter(partner=partner).count(),
        owner_kind="coordinator",
        body=lambda partner: {"name": "sneaky"},
    ),
    ObjectRoute(
        name="partner keys list",
        method="get",
        path=lambda partner: f"/api/v1/partners/{partner.pk}/keys/",
        make=lambda owner: owner.partner,
        snapshot=lambda partner: PartnerAPIKey.objects.filter(partner=partner).count(),
        owner_kind="coordinator",
    ),
    ObjectRoute(
        name="partner key revoke",
        method="post",
        path=lambda key: f"/api/v1/partners/{key.partner_id}/keys/{key.pk}/revoke/",
        make=lambda owner: PartnerAPIKey.objects.create_key(name="k", partner=owner.partner)[0],
        snapshot=lambda key: PartnerAPIKey.objects.filter(pk=key.pk).values("revoked").get(),
        owner_kind="coordinator",
    ),
)

__all__ = ["Partner"]
