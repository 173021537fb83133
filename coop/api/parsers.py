"""The API's JSON parser: every string (keys too) a PostgreSQL text column can hold.

NUL and lone surrogates are refused here, naming the field where they were found, so
no serializer, error message or query ever sees them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from rest_framework import exceptions
from rest_framework.parsers import JSONParser, MultiPartParser

from coop.inputs import InputError, check_text


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path or "body", value
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            yield path or "body", key
            yield from _strings(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}" if path else str(index))


class StrictJSONParser(JSONParser):
    """JSON whose every string (keys too) a PostgreSQL text column can hold."""

    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON nested too deeply.") from None
        for path, text in _strings(data):
            try:
                check_text(text)
            except InputError as exc:
                name = "".join(ch if ch.isprintable() and ord(ch) < 0xD800 else "?"
                               for ch in path[:60])
                raise exceptions.ValidationError({name: [str(exc)]}) from None
        return data


class StrictMultiPartParser(MultiPartParser):
    """Multipart form data that refuses a body in which no part has a name: Django's
    parser skips such parts, and the request would go on as an empty form (a PUT would
    replace everything with defaults)."""

    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: Mapping[str, Any] | None = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        if length and int(length) > 0 and not parsed.data and not parsed.files:
            raise exceptions.ParseError(
                "The multipart body holds no named part: send each field as a part with "
                "Content-Disposition: form-data; name=\"...\".")
        return parsed
