"""Read ``POST /v1/queries``: one reader per accepted media type, each strict about what it takes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from gateway.errors import ApiError
from gateway.inputs.jsonsafe import loads_strict

__all__ = ["MAX_FORM_BYTES", "QueryInput", "read_query_input"]

#: A text-only body (JSON or urlencoded): a 500-character Korean question plus a region is ~2 KB.
MAX_FORM_BYTES = 16 * 1024
_FIELDS = frozenset({"question", "region"})
_MULTIPART_FIELDS = _FIELDS | {"image"}
_UNSUPPORTED = ApiError(415, "unsupported_media_type",
                        'send multipart/form-data (question, image), application/json {"question"} or '
                        "application/x-www-form-urlencoded (UTF-8)")


@dataclass(frozen=True)
class QueryInput:
    """What a client sent: raw field values (cleaned later) and the upload, if any."""

    question: object
    region: object = None
    image: bytes | None = None
    filename: str | None = None
    content_type: str | None = None


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def _bounded(request: Request, limit: int) -> AsyncIterator[bytes]:
    # Content-Length can be absent (chunked) or lie: count what actually arrives.
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise ApiError(413, "payload_too_large", f"request body is over the {limit}-byte limit")
        yield chunk


async def _read_all(request: Request, limit: int) -> bytes:
    return b"".join([chunk async for chunk in _bounded(request, limit)])


async def read_query_input(request: Request, upload_limit: int) -> QueryInput:
    """Parse the body by its exact media type; ApiError 413/415/422 before anything is stored."""
    declared = request.headers.get("content-length") or "0"
    if not declared.isdigit():
        raise ApiError(400, "bad_request", "Content-Length is not a number")
    media = _media_type(request)
    limit = upload_limit + 64 * 1024 if media == "multipart/form-data" else MAX_FORM_BYTES
    if int(declared) > limit:  # refuse before reading the body at all
        raise ApiError(413, "image_too_large" if media == "multipart/form-data" else "payload_too_large",
                       f"request body is {declared} bytes; the limit is {limit}")
    if media == "application/json":
        return _from_json(loads_strict(await _read_all(request, limit)))
    if media == "application/x-www-form-urlencoded":
        return _from_pairs(_urlencoded(await _read_all(request, limit)), _FIELDS)
    if media == "multipart/form-data":
        return await _from_multipart(request, limit, upload_limit)
    raise _UNSUPPORTED


def _from_json(body: object) -> QueryInput:
    if not isinstance(body, dict) or set(body) - _FIELDS:
        raise ApiError(422, "invalid_input", 'JSON body must be {"question": "...", "region"?: "..."}')
    region = body.get("region")
    if isinstance(region, int) and not isinstance(region, bool):  # {"region": 11680}
        region = str(region)
    return QueryInput(question=body.get("question"), region=region)


def _urlencoded(raw: bytes) -> list[tuple[str, str]]:
    # Starlette decodes urlencoded bodies as Latin-1, which garbles `curl -d question=생수병`: read UTF-8,
    # raw or percent-encoded, and refuse anything else rather than guess.
    try:
        return parse_qsl(raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict",
                         max_num_fields=10)
    except UnicodeDecodeError as exc:
        raise ApiError(422, "invalid_encoding", "the form is not valid UTF-8") from exc
    except ValueError as exc:
        raise ApiError(422, "invalid_input", "too many form fields") from exc


def _from_pairs(pairs: list[tuple[str, str | UploadFile]], allowed: frozenset[str]) -> QueryInput:
    fields: dict[str, str | UploadFile] = {}
    for name, value in pairs:
        if name in fields:
            raise ApiError(422, "duplicate_field", f"field {name[:40]!r} appears more than once")
        if name not in allowed:
            raise ApiError(422, "invalid_input", f"unknown field {name[:40]!r}; send question, image, region")
        fields[name] = value
    question, region = fields.get("question"), fields.get("region")
    if isinstance(question, UploadFile) or isinstance(region, UploadFile):
        raise ApiError(422, "invalid_input", "question and region must be text fields, not files")
    return QueryInput(question=question, region=region)


class _StrictMultiPartParser(MultiPartParser):
    """Starlette's parser, except a text field that is not UTF-8 is refused (it falls back to Latin-1)."""

    def on_part_end(self) -> None:
        if self._current_part.file is None:
            try:
                bytes(self._current_part.data).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ApiError(422, "invalid_encoding", "a form field is not valid UTF-8") from exc
        super().on_part_end()


async def _from_multipart(request: Request, limit: int, upload_limit: int) -> QueryInput:
    parser = _StrictMultiPartParser(request.headers, _bounded(request, limit), max_files=1, max_fields=10,
                                    max_part_size=MAX_FORM_BYTES)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise ApiError(422, "invalid_input", "the multipart body is malformed or has too many parts") from exc
    try:
        pairs = list(form.multi_items())
        upload = next((v for k, v in pairs if k == "image"), None)
        if upload is not None and not isinstance(upload, UploadFile):
            raise ApiError(422, "invalid_input", "image must be a file part")
        text = _from_pairs([(k, v) for k, v in pairs if k != "image"], _FIELDS)
        if sum(1 for k, _ in pairs if k == "image") > 1:
            raise ApiError(422, "duplicate_field", "field 'image' appears more than once")
        if upload is None or not (upload.filename or upload.size):
            return text
        data = await upload.read(upload_limit + 1)
        return QueryInput(question=text.question, region=text.region, image=data,
                          filename=upload.filename, content_type=upload.content_type)
    finally:
        await form.close()
