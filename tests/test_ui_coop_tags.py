from decimal import Decimal

from pooling.templatetags.coop import label, money, plain, pool_saving, rate, saving


def test_money_uses_the_currency_decimals_and_groups_thousands() -> None:
    assert money(Decimal("1234.5"), "USD") == "USD 1,234.50"
    assert money("53000.0000", "USD") == "USD 53,000.00"
    assert money(Decimal("151234.6"), "JPY") == "JPY 151,235"
    assert money(Decimal("1.2345"), "KWD") == "KWD 1.235"
    assert money(None, "USD") == "—"


def test_codes_read_as_words() -> None:
    assert label("sea_lcl") == "Sea LCL"
    assert label("in_transit") == "In transit"
    assert rate(Decimal("0.9200000000")) == "0.92"
    assert plain("DOC (USD 75.00, per_shipment) split; USD→EUR 0.9200000000.") == (
        "DOC (USD 75.00, charged per shipment) split; USD→EUR 0.92.")


def test_an_ads_pool_shows_access_gained_never_a_negative_saving() -> None:
    ads = pool_saving("ads", Decimal("-3180.00"), "USD")
    no_access = saving("ads", None, "USD")
    freight = saving("logistics", Decimal("224.83"), "USD")

    assert "Access gained" in ads
    assert "net fees USD 3,180.00" in ads
    assert "-" not in ads
    assert "Access gained" in no_access
    assert freight == '<span class="saving">USD 224.83</span>'
    # a member who had access alone and pays more pooled sees a loss, never green
    assert saving("ads", Decimal("-12.00"), "USD") == '<span class="loss">USD -12.00</span>'
