"""callback_url: a PUT of the finished submission to the caller, and the guard that keeps callers
from using it to reach internal services (SSRF).

A submission with a callback asks the queue to announce its end (`announce`): the queue adds
its id to the announcements stream, which every service process reads in one consumer group, so
exactly one of them delivers each callback (an entry left pending by a process that died is
claimed by another). Delivery: up to `callbacks_max_tries` PUTs (tenacity), each bounded by
`callbacks_timeout`, redirects not followed; the body is the submission's default fields,
base64-encoded, as Judge0 sends it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import re
import socket
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import redis
import redis.asyncio as aioredis
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from ...service.store import ServiceStore
from .settings import Judge0Settings
from .submission import DEFAULT_FIELDS, view

log = logging.getLogger("codearena.adapters.judge0.callbacks")
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


# IPv6 ranges that carry an IPv4 address (or route to one) which `is_global` does not look into.
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d, still routed to a.b.c.d by some stacks
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_TEREDO = ipaddress.ip_network("2001::/32")
_FORBIDDEN_IN_URL = set("\\ \t\r\n\x00")  # parsers disagree on these; a real callback URL has none


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A global unicast address, and for IPv6 one that embeds no IPv4 address that is not."""
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        if address.sixtofour is not None:
            return is_public(address.sixtofour)
        if address in _NAT64:
            return is_public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address in _IPV4_COMPATIBLE or address in _NAT64_LOCAL or address in _TEREDO:
            return False
    return address.is_global and not address.is_multicast


def _numeric_but_not_dotted(host: str) -> bool:
    """`2130706433`, `0x7f.1`, `127.1`, `0177.0.0.1`: browsers and WHATWG parsers read an IPv4
    address there, other parsers a host name. Only the plain dotted form is accepted."""
    last = host.rstrip(".").rsplit(".", 1)[-1]
    if ":" in host or not re.fullmatch(r"0x[0-9a-f]*|[0-9]+", last, re.IGNORECASE):
        return False
    try:
        return str(ipaddress.IPv4Address(host)) != host
    except ValueError:
        return True


class CallbackGuard:
    """Refuses URLs that are not http(s), or whose host resolves to a non-public address
    (loopback, private, link-local such as cloud metadata, multicast, reserved, or an IPv6
    spelling of any of them) outside the networks the operator allowed. The URL is parsed once,
    by httpx (the client that will call it); one that another parser reads as another host is
    refused."""

    def __init__(self, settings: Judge0Settings):
        self.allowed = settings.allowed_networks

    def refusal(self, url: object) -> str | None:
        """None if the URL may be called now, else why not (checked at submit)."""
        return self.resolve(url)[0]

    def resolve(self, url: object) -> tuple[str | None, Target | None]:
        """(None, where to connect) if the URL may be called now, else (why not, None)."""
        if not isinstance(url, str):
            return "must be a string: an http or https URL", None
        if _FORBIDDEN_IN_URL & set(url) or any(ord(c) < 0x20 or ord(c) == 0x7F for c in url):
            return "must not contain spaces, backslashes or control characters", None
        try:
            parsed = httpx.URL(url)
            port = parsed.port
            other = urlsplit(url)
            other_host = other.hostname
        except (httpx.InvalidURL, ValueError, TypeError):
            return "is not a valid URL", None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            return "must be an http or https URL", None
        if (other_host or "").lower() != parsed.host.lower() or _numeric_but_not_dotted(parsed.host):
            return "is read as different hosts by different URL parsers; write the host plainly", None
        try:
            infos = socket.getaddrinfo(parsed.host, port or (443 if parsed.scheme == "https" else 80),
                                       proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError):
            return f"host {parsed.host} cannot be resolved", None
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
        for address in addresses:
            if not is_public(address) and not any(address in network for network in self.allowed):
                return (f"host {parsed.host} resolves to {address}, a non-public address; "
                        "callbacks to internal networks are refused"), None
        address = addresses[0]
        host_header = parsed.netloc.decode("ascii")  # host[:port], never the credentials
        target = parsed.copy_with(host=str(address))  # credentials stay in the URL, not in Host
        return None, Target(str(target), host_header, parsed.host if parsed.scheme == "https" else None)


class CallbackDispatcher:
    """Delivers callbacks from the callbacks stream, in the background of a service process."""

    def __init__(self, store: ServiceStore, settings: Judge0Settings):
        self.store = store
        self.settings = settings
        self.guard = CallbackGuard(settings)
        self.consumer = f"service:{uuid.uuid4().hex[:10]}"
        self.stream = store.keys.announcements
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
            [stored] = await self.store.read([token])
            url = json.loads(stored.meta).get("callback_url") if stored is not None and stored.meta else None
            if url and stored.result_json:
                body = json.dumps(view(token, stored, DEFAULT_FIELDS, base64_encoded=True))
                await self._put(token, url, body)
            await self.store.client.xack(self.stream, GROUP, entry_id)
            await self.store.client.xdel(self.stream, entry_id)
        except (redis.RedisError, OSError) as exc:  # stays pending: delivered again later
            log.warning("[EXEC-SERVICE] callback for %s not finished: %s", token, exc)
        finally:
            self._slots.release()

    async def _put(self, token: str, url: str, body: str) -> None:
        tries = self.settings.callbacks_max_tries
        retrying = AsyncRetrying(stop=stop_after_attempt(tries), wait=wait_exponential(multiplier=1, max=10),
                                 retry=retry_if_exception_type(_NotDelivered), reraise=True)
        try:
            async for attempt in retrying:
                with attempt:
                    await self._put_once(token, url, body, attempt.retry_state.attempt_number)
        except _NotDelivered:
            pass  # each failed try is logged; after the last one the callback is dropped

    async def _put_once(self, token: str, url: str, body: str, attempt: int) -> None:
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
        raise _NotDelivered(reason)


class _NotDelivered(Exception):
    """A try that may be repeated: the receiver answered 5xx or could not be reached."""
