"""`bunri ask` against a running `bunri serve`: finding it, and asking it over HTTP.

``bunri serve`` writes ``<data_dir>/serve.json`` (``{"url", "pid"}``) once it answers and removes it
when it stops. ``bunri ask`` uses, in order: ``BUNRI_SERVER_URL`` if set; else, when no
``KAFKA_BOOTSTRAP`` is configured, the URL in that file if its process is alive and its ``/readyz``
answers. A stale file (a killed server) is ignored, so the worst case is the in-process pipeline.

Example::

    url = await find_server(settings)
    if url:
        async with RemoteAsker(url, timeout_s=35) as remote:
            reply = await remote.ask("생수병 어떻게 버려요?", None)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import mimetypes
import os
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, get_args

from streams import contracts as c
from streams.errors import BrokerUnavailable, InvalidInput
from streams.settings import Settings

__all__ = ["LOCK_NAME", "RemoteAsker", "find_server", "remove_lock", "write_lock"]

logger = logging.getLogger(__name__)

LOCK_NAME = "serve.json"
_REASONS = frozenset(get_args(c.FailureReason))


def write_lock(data_dir: Path, url: str) -> Path:
    """Record this process's server URL for `bunri ask` (atomically); return the file."""
    path = Path(data_dir) / LOCK_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{LOCK_NAME}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"url": url, "pid": os.getpid()}), encoding="utf-8")
    os.replace(tmp, path)
    return path


def remove_lock(path: Path) -> None:
    """Remove the file if it is still ours (another `bunri serve` may have replaced it)."""
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()


def read_lock(data_dir: Path) -> str | None:
    """The URL of a live local `bunri serve` on this data dir, from its lock file, or None."""
    try:
        entry = json.loads((Path(data_dir) / LOCK_NAME).read_text(encoding="utf-8"))
        url, pid = str(entry["url"]), int(entry["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # the server died without cleaning up (kill -9)
    except PermissionError:
        pass  # alive, another user's
    return url


async def find_server(settings: Settings, *, wait_ready_s: float = 5.0) -> str | None:
    """The server `bunri ask` should use (see the module docstring), or None for the in-process pipeline."""
    if settings.server_url:
        return settings.server_url.rstrip("/")
    if settings.bootstrap:
        return None  # the deployed pipeline is configured: ask it through Kafka
    url = read_lock(settings.data_dir)
    if url is None:
        return None
    deadline = time.monotonic() + wait_ready_s
    while True:
        status, _, _ = await asyncio.to_thread(_send, f"{url}/readyz", 1.0)
        if status == 200:
            return url
        if status is None:
            return None  # nothing listens there any more
        if time.monotonic() > deadline:  # up, but not connected to its pipeline
            logger.info("bunri serve at %s is not ready; running the pipeline here", url)
            return None
        await asyncio.sleep(0.1)


class RemoteAsker:
    """Asks one server's ``POST /v1/queries``; replies are the same objects the pipeline returns.

    The standard library's HTTP client, in threads: `bunri ask` on a running server should take
    ~0.2 s in all, and importing an async HTTP client alone costs ~0.1 s.
    """

    def __init__(self, url: str, *, timeout_s: float, concurrency: int = 8) -> None:
        self.url = url
        self._timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="bunri-ask")

    async def __aenter__(self) -> RemoteAsker:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def ask(self, question: str, image: Path | None, use_cache: bool = True,
                  region: str | None = None) -> c.Answer | c.Failure:
        """One question (and photo, and 시·군·구); ``use_cache`` is the server's to decide, so it is ignored here."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._ask, question, image, region)

    def _ask(self, question: str, image: Path | None, region: str | None = None) -> c.Answer | c.Failure:
        deadline = time.monotonic() + self._timeout_s
        if image is None:
            fields = {"question": question, **({"region": region} if region else {})}
            body, ctype = json.dumps(fields).encode(), "application/json"
        else:
            body, ctype = _multipart(question, image, region)
        wait = f"{min(60.0, self._timeout_s):.0f}"
        status, headers, content = _send(f"{self.url}/v1/queries?wait={wait}", self._timeout_s + 5,
                                         data=body, content_type=ctype)
        while status == 202 and time.monotonic() < deadline:  # still running: poll its Location
            time.sleep(0.2)
            status, headers, content = _send(self.url + headers["location"], 10.0)
        if status is None:
            raise BrokerUnavailable(f"bunri server at {self.url} did not answer: {content.decode(errors='replace')}")
        return self._reply(status, content)

    def _reply(self, status: int, content: bytes) -> c.Answer | c.Failure:
        if status == 200:
            return c.Answer.model_validate_json(content)
        body: dict[str, Any] = {}
        with contextlib.suppress(ValueError, AttributeError):
            body = json.loads(content).get("error") or {}
        code, message = str(body.get("code", status)), str(body.get("message", content[:200]))
        if code in _REASONS and body.get("query_id"):  # the pipeline's own Failure, as HTTP
            return c.Failure(query_id=body["query_id"], reason=code, message=message,  # type: ignore[arg-type]
                             stage=str(body.get("stage", "gateway")))
        if status == 202:
            raise BrokerUnavailable(f"bunri server at {self.url}: no answer within {self._timeout_s:.0f}s")
        if status < 500:
            raise InvalidInput(f"{code}: {message}")
        raise BrokerUnavailable(f"bunri server at {self.url}: {code}: {message}")


def _send(url: str, timeout: float, *, data: bytes | None = None,
          content_type: str | None = None) -> tuple[int | None, Any, bytes]:
    """(status, headers, body) of a GET, or a POST of ``data``; status None when nothing answered."""
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(f"server URL must be http(s)://…, not {url!r}")
    request = urllib.request.Request(url, data=data, headers={"content-type": content_type} if data else {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310  (http(s) only, checked above)
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        return None, {}, repr(exc).encode()


def _multipart(question: str, image: Path, region: str | None = None) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    name = image.name.replace('"', "%22").replace("\r", "").replace("\n", "")
    kind = mimetypes.guess_type(image.name)[0] or "application/octet-stream"
    body = b"".join([
        f'--{boundary}\r\nContent-Disposition: form-data; name="question"\r\n\r\n'.encode(),
        question.encode(), b"\r\n",
        *([f'--{boundary}\r\nContent-Disposition: form-data; name="region"\r\n\r\n'.encode(), region.encode(),
           b"\r\n"] if region else []),
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{name}"\r\n'
        f"Content-Type: {kind}\r\n\r\n".encode(),
        image.read_bytes(), b"\r\n", f"--{boundary}--\r\n".encode(),
    ])
    return body, f"multipart/form-data; boundary={boundary}"
