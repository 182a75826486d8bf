"""The shape of an HTTP page, checked before any record of it is used (SAT, POLIS).

A body that is not what the contract promises (`data`/`results` missing or not a list, an item that
is not an object, without its id or cursor, a cursor that is no ISO 8601 timestamp with offset) is a
`SourceError` saying where and what was expected: the stream, the URL without secrets, the page, the
record index and the expected shape. It never echoes a value: the error lands in logs and
`pipeline_run.error`, and values are personal data; it names types and keys only.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from connectors.http import SourceError

SECRET_WORDS = ("key", "token", "secret", "password", "passwd", "auth", "signature")
LONG_VALUE = 24


def display_url(url: str, params: dict | None = None) -> str:
    """A request URL as an error may show it: no user info, secret-looking parameters masked, long values cut."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    query = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True) + [
        (k, str(v)) for k, v in (params or {}).items()
    ]:
        if any(word in name.lower() for word in SECRET_WORDS):
            value = "***"
        elif len(value) > LONG_VALUE:
            value = value[:LONG_VALUE] + "..."
        query.append((name, value))
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe=":+*."), ""))


def describe(value: object) -> str:
    """What a JSON value is, without the value itself."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object with keys " + (", ".join(sorted(map(str, value))[:12]) or "none")
    return type(value).__name__


def _is_aware_timestamp(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


def page_items(
    system: str,
    stream: str,
    url: str,
    page: int,
    body: object,
    *,
    list_key: str,
    id_field: str,
    cursor_field: str,
    flag_field: str | None = None,
) -> list[dict]:
    """The items of a page whose shape is right; a `SourceError` naming where and what otherwise.

    Each item must be an object with `id_field` (a string or an integer) and `cursor_field` (an ISO 8601
    timestamp with offset); `flag_field`, when given, must be a boolean if present."""
    where = f"{stream}: GET {url} page {page}"
    item_shape = f'an object with "{id_field}" (string or integer) and "{cursor_field}" (ISO 8601 with offset)'
    if not isinstance(body, dict) or not isinstance(body.get(list_key), list):
        got = describe(body.get(list_key)) if isinstance(body, dict) and list_key in body else describe(body)
        raise SourceError(system, f'{where}: expected {{"{list_key}": [{item_shape}, ...], ...}}; got {got}')
    items = body[list_key]
    for index, item in enumerate(items):
        at = f"{where}: record {index + 1} of {len(items)}"
        if not isinstance(item, dict):
            raise SourceError(system, f"{at}: expected {item_shape}; got {describe(item)}")
        key = item.get(id_field)
        if isinstance(key, bool) or not isinstance(key, str | int) or key == "":
            raise SourceError(system, f'{at}: "{id_field}" should be a string or an integer; got {describe(key)}')
        if not _is_aware_timestamp(item.get(cursor_field)):
            got = describe(item.get(cursor_field)) if cursor_field in item else "no such key"
            raise SourceError(system, f'{at}: "{cursor_field}" should be an ISO 8601 timestamp with offset; got {got}')
        if flag_field and flag_field in item and not isinstance(item[flag_field], bool):
            raise SourceError(system, f'{at}: "{flag_field}" should be a boolean; got {describe(item[flag_field])}')
    return items


def link_value(system: str, stream: str, url: str, page: int, body: object, key: str) -> str | None:
    """A page's link to the next one (`next_cursor`, `next`): a string or null, nothing else."""
    value = body.get(key) if isinstance(body, dict) else None
    if value is not None and not isinstance(value, str):
        raise SourceError(
            system, f'{stream}: GET {url} page {page}: "{key}" should be a string or null; got {describe(value)}'
        )
    return value
