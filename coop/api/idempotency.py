"""`Idempotency-Key` on creating writes, kept in PostgreSQL.

Same key and body: the first response again. Same key, different body: 422.
Same key while the first request is still running: 409. The database's unique
constraint on (scope, key) decides who runs first, not the code.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.authentication import PartnerPrincipal
from accounts.models import IdempotencyRecord

from .errors import error_body

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _scope(request: Request) -> str:
    user = request.user
    if isinstance(user, PartnerPrincipal):
        return f"partner:{user.partner.pk}"
    return f"user:{user.pk}"


def fingerprint(method: str, path: str, firm: str, body: bytes) -> str:
    """What makes two requests 'the same request' for an idempotency key."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), firm.encode(), body):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def _fingerprint(request: Request) -> str:
    return fingerprint(request.method or "", request.path, request.META.get("HTTP_X_FIRM", ""),
                       request.body)


def idempotent(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Wrap a DRF view method (post/put/patch) so it honours `Idempotency-Key`."""

    @functools.wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if not key:
            return handler(view, request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH or not key.isprintable():
            return Response(
                error_body(
                    "validation_error",
                    f"Invalid input. {HEADER}: at most {MAX_KEY_LENGTH} printable characters.",
                    {HEADER: [f"At most {MAX_KEY_LENGTH} printable characters."]},
                ),
                status=status.HTTP_400_BAD_REQUEST,
            )
        _ = request.body  # read the raw body before DRF parses the stream
        scope, fingerprint = _scope(request), _fingerprint(request)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    scope=scope, key=key, method=request.method or "", path=request.path,
                    request_hash=fingerprint,
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.get(scope=scope, key=key)
            if existing.request_hash != fingerprint:
                return Response(
                    error_body(
                        "idempotency_key_reused",
                        f"This {HEADER} was already used with a different request.",
                        {HEADER: ["Already used with a different request body or path."]},
                    ),
                    status=status.HTTP_422_UNPROCESSABLE_ENTITY,
                )
            if existing.state == IdempotencyRecord.State.RUNNING:
                return Response(
                    error_body(
                        "idempotency_in_progress",
                        f"A request with this {HEADER} is still being processed; retry later.",
                    ),
                    status=status.HTTP_409_CONFLICT,
                )
            replay = Response(existing.response_body, status=existing.response_status)
            replay["Idempotent-Replayed"] = "true"
            return replay

        try:
            response = handler(view, request, *args, **kwargs)
        except Exception as exc:
            try:
                response = view.handle_exception(exc)
            except Exception:
                record.delete()
                raise
        if response.status_code >= 500:
            record.delete()
            return response
        body = json.loads(JSONRenderer().render(response.data)) if response.data is not None else None
        record.state = IdempotencyRecord.State.DONE
        record.response_status = response.status_code
        record.response_body = body
        record.save(update_fields=["state", "response_status", "response_body"])
        return response

    return wrapper
