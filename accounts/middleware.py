from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from .tenancy import firm_from_session


class ActiveFirmMiddleware:
    """Puts the firm the signed-in user acts for on `request.firm` (lazily)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.firm = SimpleLazyObject(lambda: firm_from_session(request))  # type: ignore[attr-defined]
        return self.get_response(request)
