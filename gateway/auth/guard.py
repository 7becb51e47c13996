"""The API-key check on /v1/queries routes: who is asking, and may they see this query."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Header, Request

from gateway.auth.context import set_key_id
from gateway.auth.keys import ApiKey, KeyRing
from gateway.auth.owners import OwnerIndex
from gateway.errors import ApiError

__all__ = ["OWNER_GRACE_S", "authenticate", "presented_key"]

#: How long to wait for the ``accepted`` event of a query another replica took a moment ago.
OWNER_GRACE_S = 3.0


def presented_key(authorization: str | None, x_api_key: str | None) -> str | None:
    """The key from ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``."""
    if x_api_key:
        return x_api_key.strip()
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return None


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": 'Bearer realm="bunri"'})


async def authenticate(
    request: Request,
    authorization: Annotated[str | None, Header(max_length=300)] = None,
    x_api_key: Annotated[str | None, Header(alias="X-API-Key", max_length=300)] = None,
) -> ApiKey | None:
    """The request's key (None with keys off); 401 without a valid one, 403 on another key's query."""
    ring: KeyRing | None = request.state.keys
    # Only the API is keyed: the probes on the same router, and the page, stay open.
    if ring is None or not request.url.path.startswith("/v1/"):
        set_key_id(None)
        return None
    presented = presented_key(authorization, x_api_key)
    if presented is None:
        raise _unauthorized("missing_api_key", "send an API key: Authorization: Bearer <key> or X-API-Key")
    key = ring.check(presented)
    if key is None:
        raise _unauthorized("invalid_api_key", "the API key is unknown or revoked")
    set_key_id(key.id)
    request.state.api_key = key
    if (raw := request.path_params.get("query_id")) is not None:
        await _check_owner(request.state.owners, request.state.events, raw, key)
    return key


async def _check_owner(owners: OwnerIndex, events: object, raw: str, key: ApiKey) -> None:
    try:
        query_id = UUID(str(raw))
    except ValueError:
        return  # the route's own validation answers 422
    owner = owners.owner(query_id)
    if owner is None:  # accepted on another replica a moment ago: its accepted event is on its way
        await events.wait_known(query_id, OWNER_GRACE_S)  # type: ignore[attr-defined]
        owner = owners.owner(query_id)
    if owner is None:
        raise ApiError(404, "not_found", f"no query {query_id} is known to this gateway")
    if owner != key.id:
        raise ApiError(403, "forbidden", "this query belongs to another API key")
