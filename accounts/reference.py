"""Reference data: ISO countries and currencies, growth stages, product categories."""

from __future__ import annotations

from functools import cache

import pycountry
from django.core.exceptions import ValidationError
from django.db import models


@cache
def country_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


@cache
def currency_codes() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in pycountry.currencies)


@cache
def country_choices() -> list[tuple[str, str]]:
    return sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda c: c[1])


@cache
def currency_choices() -> list[tuple[str, str]]:
    return sorted((c.alpha_3, f"{c.alpha_3} {c.name}") for c in pycountry.currencies)


def validate_country(value: str) -> None:
    if value not in country_codes():
        raise ValidationError(
            "'%(value)s' is not an ISO 3166-1 country code.", params={"value": value},
            code="unknown_country",
        )


def validate_currency(value: str) -> None:
    if value not in currency_codes():
        raise ValidationError(
            "'%(value)s' is not an ISO 4217 currency code.", params={"value": value},
            code="unknown_currency",
        )


class GrowthStage(models.TextChoices):
    STARTUP = "startup", "Startup (marketplace platform + own site)"
    GROWTH = "growth", "Growth (+ social)"
    MATURE = "mature", "Mature (+ livestream)"


class ProductCategory(models.TextChoices):
    APPAREL = "apparel", "Apparel and accessories"
    BEAUTY = "beauty", "Beauty and personal care"
    ELECTRONICS = "electronics", "Consumer electronics"
    HOME = "home", "Home and kitchen"
    SPORTS = "sports", "Sports and outdoors"
    TOYS = "toys", "Toys and games"
    PETS = "pets", "Pet supplies"
    HEALTH = "health", "Health and household"
    AUTOMOTIVE = "automotive", "Automotive parts"
    TOOLS = "tools", "Tools and home improvement"
    JEWELLERY = "jewellery", "Jewellery and watches"
    OFFICE = "office", "Office and stationery"
    FOOD = "food", "Food and beverage"
    BABY = "baby", "Baby products"
    GARDEN = "garden", "Garden"


def validate_categories(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("Product categories must be a list of category codes.")
    unknown = sorted(set(value) - set(ProductCategory.values))
    if unknown:
        raise ValidationError(
            "Unknown product categories: %(unknown)s.", params={"unknown": ", ".join(unknown)}
        )
