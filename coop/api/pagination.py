from typing import Any

from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from coop.api import query

MAX_PAGE = 10**9


class Pagination(PageNumberPagination):
    """Page-number pagination that refuses what it cannot read: a `page` or `page_size`
    that is not a whole number in range is a 400 on that parameter, never silently
    replaced by the default (a page past the last one stays a 404)."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request: Request) -> int | None:
        size = query.whole(request, self.page_size_query_param, minimum=1,
                           maximum=self.max_page_size)
        return self.page_size if size is None else int(size)

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        number = query.whole(request, self.page_query_param, minimum=1, maximum=MAX_PAGE,
                             also=tuple(self.last_page_strings))
        if number is None:
            return 1
        return paginator.num_pages if number in self.last_page_strings else number

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            schema = parameter.setdefault("schema", {})
            schema["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                schema["maximum"] = self.max_page_size
        return parameters
