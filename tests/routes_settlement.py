from pooling.models import Settlement
from pooling.services.settlement import settlement_run
from tests.authz import ObjectRoute, register
from tests.factories_settlement import logistics_pool, post_invoice


def settled_for(owner):  # type: ignore[no-untyped-def]
    """A pool with the owner's firm as a member, settled."""
    pool = logistics_pool([{"cbm": "2", "firm": owner.firm}, {"cbm": "3"}])
    invoice = post_invoice(pool, [("LCL", "per_wm", "500.00")])
    return settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)


def held_for(owner):  # type: ignore[no-untyped-def]
    pool = logistics_pool([{"cbm": "2", "firm": owner.firm, "standalone": "10"}, {"cbm": "3"}])
    invoice = post_invoice(pool, [("LCL", "per_wm", "500000.00")])
    return settlement_run(pool_id=pool.pk, invoice_id=invoice.pk)


def snapshot(settlement):  # type: ignore[no-untyped-def]
    return (Settlement.objects.filter(pk=settlement.pk).values("status", "override_reason").get(),
            settlement.shares.count(), settlement.transactions.count())


register(
    ObjectRoute(
        name="settlement detail",
        method="get",
        path=lambda s: f"/api/v1/settlements/{s.pk}/",
        make=settled_for,
        snapshot=snapshot,
    ),
    ObjectRoute(
        name="settlement release",
        method="post",
        path=lambda s: f"/api/v1/settlements/{s.pk}/release/",
        make=held_for,
        snapshot=snapshot,
        owner_kind="coordinator",
        body=lambda s: {"reason": "sneaky"},
    ),
)
