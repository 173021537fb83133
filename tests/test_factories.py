import pytest

from tests.factories import AdNeedFactory, InvoiceLineFactory, PoolMemberFactory

pytestmark = pytest.mark.django_db


def test_marketplace_factories_build_valid_rows() -> None:
    member = PoolMemberFactory()
    line = InvoiceLineFactory(invoice__pool=member.pool)
    need = AdNeedFactory()

    assert member.pool.member_count == 1
    assert line.invoice.partner == member.pool.partner
    assert need.programme.minimum_spend == 50000
