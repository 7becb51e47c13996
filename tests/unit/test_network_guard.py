import socket

import pytest

from tests.conftest import NetworkBlocked


def test_outside_connection_is_refused() -> None:
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("203.0.113.10", 443), timeout=0.5)


def test_outside_name_lookup_is_refused() -> None:
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("api.openai.com", 443)


def test_loopback_is_allowed() -> None:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
    srv.close()
