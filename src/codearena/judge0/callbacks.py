"""callback_url: a PUT of the finished submission to the caller, and the guard that keeps callers
from using it to reach internal services (SSRF).

The queue's COMPLETE script puts every finished job that has a callback on the callbacks stream;
each service process reads it in one consumer group, so exactly one of them delivers each
callback (an entry left pending by a process that died is claimed by another). Delivery: up to
`callbacks_max_tries` PUTs, each bounded by `callbacks_timeout`, redirects not followed; the body
is the submission's default fields, base64-encoded, as Judge0 sends it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import socket
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx
import redis
import redis.asyncio as aioredis

from ..queue.broker import ServiceStore
from .settings import Judge0Settings
from .submission import DEFAULT_FIELDS, VIEW_HASH_FIELDS, view

log = logging.getLogger("codearena.judge0.callbacks")
GROUP = "callbacks"
READ_BLOCK_MS = 1000
MAX_IN_FLIGHT = 32


@dataclass(frozen=True)
class Target:
    """Where a callback goes: the address its host resolved to, checked, and connected to as is
    (so a DNS answer that changes after the check cannot redirect it)."""
    url: str  # the URL with its host replaced by the checked address
    host_header: str
    sni_hostname: str | None  # https: the certificate is checked against the original host


class CallbackGuard:
    """Refuses URLs that are not http(s), or whose host resolves to a non-public address
    (loopback, private, link-local such as cloud metadata, multicast, reserved) outside the
    networks the operator allowed."""

    def __init__(self, settings: Judge0Settings):
        self.allowed = settings.allowed_networks

    def refusal(self, url: str) -> str | None:
        """None if the URL may be called now, else why not (checked at submit)."""
        return self.resolve(url)[0]

    def resolve(self, url: str) -> tuple[str | None, Target | None]:
        """(None, where to connect) if the URL may be called now, else (why not, None)."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return "is not a valid URL", None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return "must be an http or https URL", None
        try:
            infos = socket.getaddrinfo(parts.hostname, port or (443 if parts.scheme == "https" else 80),
                                       proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError):
            return f"host {parts.hostname} cannot be resolved", None
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
        for address in addresses:
            if not address.is_global and not any(address in network for network in self.allowed):
                return (f"host {parts.hostname} resolves to {address}, a non-public address; "
                        "callbacks to internal networks are refused"), None
        address = addresses[0]
        netloc = f"[{address}]" if address.version == 6 else str(address)
        if port is not None:
            netloc += f":{port}"
        credentials, _, host_header = parts.netloc.rpartition("@")  # credentials stay in the URL, not in Host
        if credentials:
            netloc = f"{credentials}@{netloc}"
        return None, Target(urlunsplit(parts._replace(netloc=netloc)), host_header,
                            parts.hostname if parts.scheme == "https" else None)


class CallbackDispatcher:
    """Delivers callbacks from the callbacks stream, in the background of a service process."""

    def __init__(self, store: ServiceStore, settings: Judge0Settings):
        self.store = store
        self.settings = settings
        self.guard = CallbackGuard(settings)
        self.consumer = f"service:{uuid.uuid4().hex[:10]}"
        self.stream = store.keys.callbacks
        # Pending longer than every try could take: its consumer died, take it over.
        self.claim_idle_ms = int((settings.callbacks_timeout + 2) * settings.callbacks_max_tries * 1000) + 10_000
        self._task: asyncio.Task | None = None
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._http = httpx.AsyncClient(timeout=settings.callbacks_timeout, follow_redirects=False,
                                       headers={"Content-Type": "application/json"})
        self._sending: set[asyncio.Task] = set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="judge0-callbacks")

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await asyncio.gather(*self._sending, return_exceptions=True)
        await self._http.aclose()

    async def _run(self) -> None:
        client: aioredis.Redis = self.store.client
        while True:
            try:
                await self.store.ensure_group(self.stream, GROUP)
                while True:
                    await self._claim_abandoned(client)
                    replies = await client.xreadgroup(GROUP, self.consumer, {self.stream: ">"}, count=MAX_IN_FLIGHT,
                                                      block=READ_BLOCK_MS)
                    for _stream, entries in replies or []:
                        for entry_id, data in entries:
                            await self._dispatch(entry_id, data.get("job", ""))
            except asyncio.CancelledError:
                raise
            except (redis.RedisError, OSError) as exc:
                log.warning("[EXEC-SERVICE] callbacks: Redis error (%s); retrying", exc)
                await asyncio.sleep(1.0)

    async def _claim_abandoned(self, client: aioredis.Redis) -> None:
        _next, claimed, *_ = await client.xautoclaim(self.stream, GROUP, self.consumer,
                                                     min_idle_time=self.claim_idle_ms, start_id="0-0", count=50)
        for entry_id, data in claimed:
            if data:
                await self._dispatch(entry_id, data.get("job", ""))

    async def _dispatch(self, entry_id: str, token: str) -> None:
        await self._slots.acquire()
        task = asyncio.create_task(self._deliver(entry_id, token))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _deliver(self, entry_id: str, token: str) -> None:
        try:
            [(fields, result)] = await self.store.job_fields([token], VIEW_HASH_FIELDS + ("callback",))
            url = fields.get("callback")
            if url and fields.get("judge0") and result:
                body = json.dumps(view(token, fields, result, DEFAULT_FIELDS, base64_encoded=True))
                await self._put(token, url, body)
            await self.store.client.xack(self.stream, GROUP, entry_id)
            await self.store.client.xdel(self.stream, entry_id)
        except (redis.RedisError, OSError) as exc:  # stays pending: delivered again later
            log.warning("[EXEC-SERVICE] callback for %s not finished: %s", token, exc)
        finally:
            self._slots.release()

    async def _put(self, token: str, url: str, body: str) -> None:
        for attempt in range(1, self.settings.callbacks_max_tries + 1):
            refusal, target = await asyncio.to_thread(self.guard.resolve, url)  # DNS may have changed
            if refusal is not None:
                log.warning("[EXEC-SERVICE] callback for %s refused: %s", token, refusal)
                return
            try:
                # To the checked address itself; streamed and never read: only the status matters,
                # and a receiver cannot make us hold a body of its choosing.
                extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else {}
                async with self._http.stream("PUT", target.url, content=body, headers={"Host": target.host_header},
                                             extensions=extensions) as response:
                    status = response.status_code
                if status < 500:
                    log.info("[EXEC-SERVICE] callback for %s delivered: HTTP %d", token, status)
                    return
                reason = f"HTTP {status}"
            except httpx.HTTPError as exc:
                reason = f"{type(exc).__name__}: {exc}"
            log.warning("[EXEC-SERVICE] callback for %s failed (try %d of %d): %s", token, attempt,
                        self.settings.callbacks_max_tries, reason)
            if attempt < self.settings.callbacks_max_tries:
                await asyncio.sleep(min(2 ** (attempt - 1), 10))
