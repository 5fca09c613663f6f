"""Platform commands: `serve`, `users create`, `problems import`. Registered by codearena.cli."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from pydantic import ValidationError
from rich.console import Console

from ..validation import describe_settings_error

users_app = typer.Typer(help="Accounts.", no_args_is_help=True)
problems_app = typer.Typer(help="Problems.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


def _fail(message: str, code: int = 2) -> None:
    err_console.print(f"[red]error:[/red] {message}", markup=True, highlight=False)
    raise typer.Exit(code)


def load_settings():
    """The platform's sections of the settings tree: its own, execution's and the common ones."""
    from ..common_settings import CommonSettings
    from ..execution import ExecutionSettings
    from .settings import PlatformSettings

    sections = []
    for section in (PlatformSettings, ExecutionSettings, CommonSettings):
        try:
            sections.append(section())
        except ValidationError as exc:
            _fail(f"invalid configuration: {describe_settings_error(exc, section.model_config.get('env_prefix', ''))}")
    platform, execution, common = sections
    if execution.mode == "queue" and not common.execution_service_token:
        _fail("invalid configuration: EXECUTION_SERVICE_TOKEN must be set when EXECUTION_MODE=queue "
              "(the execution service refuses callers without it)")
    return platform, execution, common


def _database():
    from .db import DatabaseUrlError, make_db_engine, migrate, session_factory

    platform, _, _ = load_settings()
    try:
        engine = make_db_engine(platform.database_url)
        migrate(engine)
    except DatabaseUrlError as exc:
        _fail(str(exc))
    return session_factory(engine)


def serve(
    host: Optional[str] = typer.Option(None, help="address to listen on (default: HOST or 0.0.0.0)"),
    port: Optional[int] = typer.Option(None, help="port (default: PORT or 5000)"),
) -> None:
    """Run the platform API server (OpenAPI docs at /docs)."""
    import uvicorn

    from ..logs import configure_logging
    from .app import create_app
    from .db import DatabaseUrlError, normalize_database_url

    platform, execution, common = load_settings()
    configure_logging(common.log_level)
    try:
        normalize_database_url(platform.database_url)
    except DatabaseUrlError as exc:
        _fail(str(exc))
    app = create_app(platform, execution, common=common)
    # log_config=None: uvicorn's loggers go through our one-JSON-line-per-event handler.
    uvicorn.run(app, host=host or platform.host, port=port or platform.port, log_config=None,
                backlog=platform.listen_backlog, timeout_graceful_shutdown=30, access_log=platform.access_log,
                # Longer than load balancers and clients keep idle connections (60 s is common), so
                # that a request never arrives on a connection the server is closing.
                timeout_keep_alive=75)


@users_app.command("create")
def create_user(
    name: str = typer.Argument(..., help="username"),
    admin: bool = typer.Option(False, "--admin", help="give the admin role"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from stdin"),
) -> None:
    """Create an account (the first admin, typically)."""
    from .users import create_user as store_user
    from .schemas import Credentials

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        Credentials(username=name, password=password)
    except ValidationError as exc:
        _fail("; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors()))
    sessions = _database()
    with sessions() as session:
        try:
            user = store_user(session, name, password, "admin" if admin else "user")
        except ValueError as exc:
            _fail(str(exc))
    console.print(f"created {user.role} {user.username!r} (id {user.id})")


@problems_app.command("import")
def import_problem(
    directory: Path = typer.Argument(..., exists=True, file_okay=False, help="problem package directory"),
    slug: Optional[str] = typer.Option(None, help="default: the directory's name"),
    replace: bool = typer.Option(False, "--replace", help="update the problem of that slug if it exists"),
) -> None:
    """Store a problem package (problem.toml + tests/) in the database."""
    from ..engine.problem import ProblemError
    from .problems import ProblemConflict, ProblemTooLarge, import_package

    sessions = _database()
    with sessions() as session, session.begin():
        try:
            problem = import_package(session, directory, slug=slug, replace=replace, sizes=load_settings()[2])
        except (ProblemError, ProblemConflict, ProblemTooLarge) as exc:
            _fail(str(exc))
        session.flush()
        console.print(f"imported {problem.title!r} as problem {problem.id} (slug {problem.slug!r}, "
                      f"{len(problem.tests)} tests, {sum(t.is_sample for t in problem.tests)} samples)")
