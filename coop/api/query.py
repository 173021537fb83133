"""Query parameters read the same way on every endpoint: one that cannot be read is a
400 on that parameter, never silently taken for its default. An empty value counts as
absent, as it does for the list filters."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.request import Request

from coop.inputs import InputError, integer

_FLAG = serializers.BooleanField()


def flag(request: Request, name: str) -> bool:
    """A yes/no parameter (`true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`); absent is no."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return False
    try:
        return bool(_FLAG.to_internal_value(raw))
    except serializers.ValidationError as exc:
        raise serializers.ValidationError(
            {name: ["Give true or false (or 1 or 0)."]}) from exc


def whole(request: Request, name: str, *, minimum: int, maximum: int,
          also: tuple[str, ...] = ()) -> int | str | None:
    """A whole-number parameter within range, as `coop.inputs.integer` reads numbers;
    None when absent, or the value itself when it is one of `also` (a word such as
    "last")."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw in also:
        return raw
    try:
        return integer(raw, label=name, minimum=minimum, maximum=maximum)
    except InputError as exc:
        raise serializers.ValidationError({name: [str(exc)]}) from exc
