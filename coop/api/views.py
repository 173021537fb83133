from __future__ import annotations

from typing import Any, NoReturn

from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.views import APIView


class ObjectApi(APIView):
    """A view of one tenant's object: callers who may not see it get 404, never 403.

    Answering 404 to another firm or partner does not reveal that the object exists.
    """

    def permission_denied(self, request: Request, message: Any = None, code: Any = None) -> NoReturn:
        if request.authenticators and not request.successful_authenticator:
            raise exceptions.NotAuthenticated()
        raise exceptions.NotFound()
