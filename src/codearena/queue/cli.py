"""Queue commands: `execution-service` and `worker`. Registered by codearena.cli."""

from __future__ import annotations

import faulthandler
import os
import signal
from typing import Optional

import typer
from pydantic import ValidationError
from rich.console import Console

err_console = Console(stderr=True)
# Seconds an idle client connection stays open: longer than clients keep theirs (the platform's
# queue client: 2 s), so a client never sends a request on a connection the service is closing.
SERVICE_KEEP_ALIVE = 75


def _settings():
    from ..validation import describe_settings_error
    from .settings import QueueSettings

    try:
        return QueueSettings()
    except ValidationError as exc:
        err_console.print(f"[red]error:[/red] invalid configuration: {describe_settings_error(exc)}", highlight=False)
        raise typer.Exit(2)


def execution_service(
    host: Optional[str] = typer.Option(None, help="default: EXECUTION_SERVICE_HOST or 0.0.0.0"),
    port: Optional[int] = typer.Option(None, help="default: EXECUTION_SERVICE_PORT or 3001"),
) -> None:
    """Run the execution service: the HTTP API that queues jobs for the workers."""
    import uvicorn

    from ..logging import configure_logging
    from .service import MissingServiceToken, create_service_app

    settings = _settings()
    configure_logging(settings.log_level)
    try:
        app = create_service_app(settings)
    except MissingServiceToken as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2)
    uvicorn.run(app, host=host or settings.execution_service_host, port=port or settings.execution_service_port,
                log_config=None, timeout_graceful_shutdown=30,
                timeout_keep_alive=SERVICE_KEEP_ALIVE)


def worker(
    concurrency: Optional[int] = typer.Option(None, "--concurrency", "-c", min=1, max=256,
                                              help="jobs run at once (default: one per core)"),
) -> None:
    """Run a worker: take jobs from the queue and run them in this machine's sandbox."""
    from ..logging import configure_logging
    from ..sandbox import SandboxUnavailable, get_sandbox
    from .worker import Worker

    settings = _settings()
    configure_logging(settings.log_level)
    try:
        sandbox = get_sandbox()
    except SandboxUnavailable as exc:
        err_console.print(f"[red]error:[/red] no sandbox: {exc} (see `codearena doctor`)", highlight=False)
        raise typer.Exit(3)
    sandbox.sweep_stale()  # what a worker killed on this machine left behind
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 PID` prints every thread's stack (diagnosis)
    runner = Worker(settings, concurrency or os.cpu_count() or 1, sandbox)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: runner.stop())
    runner.run()
