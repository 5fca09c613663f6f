"""The platform's queue client (httpx, async) must not look for a module on every request.

httpcore imports sniffio inside each async request and falls back when it is missing; a failed
import is not cached, so each request would search sys.path again (the platform's CPU per
queued run was 1.14x without it). sniffio is a declared dependency for that reason."""

from __future__ import annotations

import asyncio
import sys

import httpx

from ..support import answer_ok



class ImportRecorder:
    """A meta path finder that finds nothing and remembers every name it was asked for."""

    def __init__(self):
        self.names: list[str] = []

    def find_spec(self, name, path=None, target=None):
        self.names.append(name)
        return None


async def _requests_after_the_first(count: int) -> list[str]:
    server = await asyncio.start_server(answer_ok, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    recorder = ImportRecorder()
    try:
        async with httpx.AsyncClient() as client:
            assert (await client.get(url)).text == "ok"  # the first one may import what it needs
            sys.meta_path.insert(0, recorder)
            try:
                for _ in range(count):
                    assert (await client.get(url)).text == "ok"
            finally:
                sys.meta_path.remove(recorder)
    finally:
        server.close()
        await server.wait_closed()
    return recorder.names


def test_an_async_http_request_looks_for_no_module():
    assert asyncio.run(_requests_after_the_first(3)) == []
