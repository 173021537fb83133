"""`Idempotency-Key` on creating writes, kept in PostgreSQL.

Same key and the same request: the first response again. Same key, different request:
422. Same key while the first request is still running: 409. The database's unique
constraint on (scope, key) decides who runs first, not the code.

"The same request" compares what was parsed, not the bytes sent: JSON that differs only
in whitespace or key order is the same, and so is a multipart upload whose boundary
changed but whose fields and file contents did not.

Only an operation that ran keeps its key: a 2xx answer, or 409 when the operation met a
state that refused it. A request refused before it started (invalid input, not
authenticated, not found, too large, throttled) releases the key, so the corrected
request may use it. A stored answer never holds a secret: `key`, `secret` and `token`
are stored as null, and a replay says so in `Idempotent-Redacted`.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
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


# Top-level fields of a response that hold a secret shown once.
SECRET_FIELDS = ("key", "secret", "token")
# Answers that mean the operation ran; every other answer releases the key.
KEPT_STATUSES = frozenset(range(200, 300)) | {409}


def fingerprint(method: str, path: str, firm: str, data: Any, files: Any = None) -> str:
    """What makes two requests 'the same request' for an idempotency key."""
    parsed = {"data": _canonical(data), "files": _canonical(files or {})}
    digest = hashlib.sha256()
    for part in (method, path, firm):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(json.dumps(parsed, sort_keys=True, separators=(",", ":"), default=str).encode())
    return digest.hexdigest()


def _canonical(value: Any) -> Any:
    """Parsed request data as plain JSON values: files by the digest of their content."""
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file-sha256": digest.hexdigest()}
    if isinstance(value, QueryDict | MultiValueDict):
        return {key: [_canonical(item) for item in value.getlist(key)] for key in value}
    if isinstance(value, dict):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    return value


def _fingerprint(request: Request) -> str:
    return fingerprint(request.method or "", request.path, request.META.get("HTTP_X_FIRM", ""),
                       request.data, request.FILES)


def _redacted(data: Any) -> tuple[Any, list[str]]:
    if not isinstance(data, dict):
        return data, []
    hidden = [name for name in SECRET_FIELDS if data.get(name)]
    return {k: (None if k in hidden else v) for k, v in data.items()}, hidden


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
        # Parsing errors (bad JSON, NUL, too deep) answer here, before a key is taken.
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
            hidden = [name for name in SECRET_FIELDS if isinstance(existing.response_body, dict)
                      and name in existing.response_body and existing.response_body[name] is None]
            if hidden:
                replay["Idempotent-Redacted"] = ", ".join(hidden)
            return replay

        try:
            response = handler(view, request, *args, **kwargs)
        except Exception as exc:
            try:
                response = view.handle_exception(exc)
            except Exception:
                record.delete()
                raise
        if response.status_code not in KEPT_STATUSES:
            record.delete()
            return response
        data, _ = _redacted(response.data)
        body = json.loads(JSONRenderer().render(data)) if data is not None else None
        record.state = IdempotencyRecord.State.DONE
        record.response_status = response.status_code
        record.response_body = body
        record.save(update_fields=["state", "response_status", "response_body"])
        return response

    return wrapper
