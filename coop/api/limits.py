"""Limits on a request body, checked before anything parses it.

`RequestLimitsMiddleware` answers a body above `MAX_REQUEST_BODY_BYTES` with 413 and a
JSON body nested deeper than `MAX_JSON_DEPTH` with 400, both in the API's one error
shape, so no parser ever recurses without bound or reads a body of any size.
`coop.api.parsers.StrictJSONParser` then refuses text the database cannot store.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse

from .errors import error_body

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = bytes.maketrans(b"", b"")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


def max_body_bytes() -> int:
    return int(getattr(settings, "MAX_REQUEST_BODY_BYTES", 5 * 1024 * 1024))


def max_json_depth() -> int:
    return int(getattr(settings, "MAX_JSON_DEPTH", 32))


def json_depth(body: bytes) -> int:
    """How deeply the arrays and objects of a JSON text nest (strings do not count)."""
    brackets = _STRING.sub(b"", body).translate(_BRACKETS, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        if byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    return deepest


def _refusal(request: HttpRequest, status: int, code: str, message: str,
             fields: dict[str, list[str]]) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(code, message, fields), status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _is_json(request: HttpRequest) -> bool:
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


class RequestLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = max_body_bytes()
        too_big = _refusal(
            request, 413, "request_too_large",
            f"The request body is larger than {limit:,} bytes.",
            {"body": [f"At most {limit:,} bytes."]},
        )
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return too_big
        if request.method in ("POST", "PUT", "PATCH") and _is_json(request):
            try:
                body = request.body
            except RequestDataTooBig:
                return too_big
            if len(body) > limit:
                return too_big
            depth, most = json_depth(body), max_json_depth()
            if depth > most:
                return _refusal(
                    request, 400, "validation_error",
                    f"Invalid input. body: JSON nested {depth} levels deep; at most {most}.",
                    {"body": [f"Nested at most {most} levels deep."]},
                )
        try:
            return self.get_response(request)
        except (RequestDataTooBig, TooManyFieldsSent):
            return too_big
