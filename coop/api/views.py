"""What the API views share: the 404 for other tenants' objects, and the plumbing of
validating input, finding one object and paginating a list."""

from __future__ import annotations

from typing import Any, NoReturn, TypeVar

from django.db.models import QuerySet
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from coop.errors import NotFound

from .pagination import Pagination

T = TypeVar("T")


class ObjectApi(APIView):
    """A view of one tenant's object: callers who may not see it get 404, never 403.

    Answering 404 to another firm or partner does not reveal that the object exists.
    """

    def permission_denied(self, request: Request, message: Any = None, code: Any = None) -> NoReturn:
        if request.authenticators and not request.successful_authenticator:
            raise exceptions.NotAuthenticated()
        raise exceptions.NotFound()


def found(obj: T | None) -> T:
    """The object a scoped selector returned, or 404 when the caller may not see it."""
    if obj is None:
        raise NotFound()
    return obj


def validated(serializer_class: type[serializers.BaseSerializer], data: Any,
              **kwargs: Any) -> Any:
    """The input's validated data; a field-level 400 when it is invalid."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def paginated(view: APIView, request: Request, queryset: QuerySet | Any,
              serializer_class: type[serializers.BaseSerializer]) -> Response:
    """One page of a (caller-scoped) list, serialized."""
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


def saved(data: Any, *, created: bool) -> Response:
    """201 for a write that stored something new, 200 for one that found it already stored."""
    return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
