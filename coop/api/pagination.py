from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request


class Pagination(PageNumberPagination):
    """Page-number pagination that refuses what it cannot read: a `page` or `page_size`
    that is not a whole number in range is a 400 on that parameter, never silently
    replaced by the default (a page past the last one stays a 404)."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request: Request) -> int | None:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        size = _whole(raw)
        if size is None or not 1 <= size <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [
                f"Give a whole number from 1 to {self.max_page_size}."]})
        return size

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        raw = request.query_params.get(self.page_query_param)
        if raw is None or raw == "":
            return 1
        if raw in self.last_page_strings:
            return paginator.num_pages
        number = _whole(raw)
        if number is None or number < 1:
            raise ValidationError({self.page_query_param: [
                "Give a page number: a whole number from 1, or \"last\"."]})
        return number

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            schema = parameter.setdefault("schema", {})
            schema["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                schema["maximum"] = self.max_page_size
        return parameters


def _whole(raw: str) -> int | None:
    """`raw` as an int when it is written as one in plain ASCII digits, else None."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        return None
    return int(raw)
