"""The OpenAPI schema says what the API really answers.

- Every list a GET answers is one page, `{count, next, previous, results}` (the views
  paginate with `coop.api.pagination.Pagination`), with its `page` and `page_size`.
- Every operation documents the one error shape on the 4xx answers it can give.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

from .pagination import Pagination

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "example": "validation_error"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "description": "Field path (a.b.0.c) to its messages.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "feedbackElements": {
            "type": "array",
            "description": "DCSA routes only: the same refusal as DCSA feedback elements.",
            "items": {"type": "object", "properties": {
                "severity": {"type": "string"}, "message": {"type": "string"},
                "propertyPath": {"type": "string"}}},
        },
    },
}

ERROR_ANSWERS = {
    "400": "Invalid input: every bad field named in `fields`; nothing was changed.",
    "401": "Not authenticated, or the token or key is unknown, expired or revoked.",
    "403": "Authenticated, but not allowed to do this.",
    "404": "Not found, or not visible to the caller.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "409": "Conflict with the current state, or the same Idempotency-Key is still running.",
    "413": "The request body is larger than the limit.",
    "415": "Unsupported media type.",
    "422": "The Idempotency-Key was already used with a different request.",
    "429": "Too many attempts; see Retry-After.",
}


class AutoSchema(SpectacularAutoSchema):
    def _get_paginator(self) -> Any:
        paginator = super()._get_paginator()
        if paginator is None and self.method == "GET":
            return Pagination()
        return paginator


def error_responses(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    """Postprocessing hook: the error shape as a component, on every operation's 4xx."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, description in ERROR_ANSWERS.items():
                operation["responses"].setdefault(status, {
                    "description": description,
                    "content": {"application/json": {"schema": reference}},
                })
    return result
