"""API keys: the keys file, the request check, and which key owns which query."""

from gateway.auth.guard import authenticate
from gateway.auth.keys import ApiKey, KeyFileError, KeyRing, create_key, list_keys, revoke_key
from gateway.auth.owners import OwnerIndex

__all__ = ["ApiKey", "KeyFileError", "KeyRing", "OwnerIndex", "authenticate", "create_key", "list_keys",
           "revoke_key"]
