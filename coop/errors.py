"""The errors a use case raises when it refuses, shared by the API and the pages.

Services and selectors raise these; the API's exception handler turns them into the
one error shape, and the pages show their message (404 for `NotFound`). Nothing
here knows about HTTP beyond the status a refusal maps to.
"""

from __future__ import annotations


class ApplicationError(Exception):
    """An expected failure of a use case, shown to the user as it is."""

    status_code: int = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        code: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code


class Invalid(ApplicationError):
    """The input is wrong; `fields` says where."""


class NotFound(ApplicationError):
    """Nothing the caller may see has that id (whether or not it exists)."""

    status_code = 404
    code = "not_found"

    def __init__(self, message: str = "Not found.", **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class NotAllowed(ApplicationError):
    status_code = 403
    code = "permission_denied"


class Conflict(ApplicationError):
    """The request is well formed but the current state refuses it."""

    status_code = 409
    code = "conflict"


__all__ = ["ApplicationError", "Conflict", "Invalid", "NotAllowed", "NotFound"]
