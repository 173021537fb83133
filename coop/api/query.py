"""Query parameters read the same way on every endpoint: one that cannot be read is a
400 on that parameter, never silently taken for its default. An empty value counts as
absent, as it does for the list filters."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.request import Request

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
