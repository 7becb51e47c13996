"""Suite-wide guards: no real network call can leave this machine during tests."""

from __future__ import annotations

import ipaddress
import socket

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


class NetworkBlocked(RuntimeError):
    """A test tried to reach a non-loopback address."""


def _host_allowed(host: object) -> bool:
    if not isinstance(host, str):
        return True
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(address: object) -> None:
    if isinstance(address, tuple) and address and not _host_allowed(address[0]):
        raise NetworkBlocked(f"test suite tried to connect to {address!r}; only loopback is allowed")


def _guarded_connect(self: socket.socket, address: object) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check(address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: object, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
    if isinstance(host, bytes):
        host = host.decode()
    if host is not None and not _host_allowed(host):
        raise NetworkBlocked(f"test suite tried to resolve {host!r}; only loopback is allowed")
    return _real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> object:
    """Fail any attempt to reach the outside world (the pydantic-ai ALLOW_MODEL_REQUESTS idea)."""
    mp = pytest.MonkeyPatch()
    mp.setattr(socket.socket, "connect", _guarded_connect)
    mp.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    mp.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)
    yield
    mp.undo()


@pytest.fixture(autouse=True)
def _offline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never inherit a real API key or endpoint from the developer's shell."""
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "BUNRI_PUBLICDATA__SERVICE_KEY", "BUNRI_PUBLICDATA__FILE"):
        monkeypatch.delenv(var, raising=False)
