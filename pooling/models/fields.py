"""Field shapes shared by the marketplace's models."""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from django.db import models

from accounts.reference import validate_country, validate_currency

LOCODE_RE = r"^[A-Z]{2}[A-Z2-9]{3}$"
locode_validator = RegexValidator(
    LOCODE_RE, "Enter a UN/LOCODE: two-letter country code and three letters or digits, e.g. CNSZX."
)


def MoneyField(**kwargs: Any) -> models.DecimalField:  # noqa: N802 - reads like a field class
    kwargs.setdefault("max_digits", 18)
    kwargs.setdefault("decimal_places", 4)
    return models.DecimalField(**kwargs)


def WeightField(**kwargs: Any) -> models.DecimalField:  # noqa: N802
    kwargs.setdefault("max_digits", 14)
    kwargs.setdefault("decimal_places", 3)
    return models.DecimalField(**kwargs)


def VolumeField(**kwargs: Any) -> models.DecimalField:  # noqa: N802
    kwargs.setdefault("max_digits", 14)
    kwargs.setdefault("decimal_places", 6)
    return models.DecimalField(**kwargs)


def CurrencyField(**kwargs: Any) -> models.CharField:  # noqa: N802
    kwargs.setdefault("max_length", 3)
    kwargs.setdefault("validators", [validate_currency])
    return models.CharField(**kwargs)


def CountryField(**kwargs: Any) -> models.CharField:  # noqa: N802
    kwargs.setdefault("max_length", 2)
    kwargs.setdefault("validators", [validate_country])
    return models.CharField(**kwargs)


def LocodeField(**kwargs: Any) -> models.CharField:  # noqa: N802
    kwargs.setdefault("max_length", 5)
    kwargs.setdefault("validators", [locode_validator])
    return models.CharField(**kwargs)
