"""The `codearena` command line. Thin: parse, call the layer below, print."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from .common_settings import CommonSettings, common_settings
from .logs import configure_logging
from .platform_app.cli import problems_app, serve, users_app
from .service.cli import load_section, worker

app = typer.Typer(help="CodeArena: run untrusted code safely.", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
console = Console()
err_console = Console(stderr=True)

app.command()(serve)
app.command()(worker)
app.add_typer(users_app, name="users")
app.add_typer(problems_app, name="problems")


@app.command("execution-service")
def execution_service(
    host: Optional[str] = typer.Option(None, help="default: EXECUTION_SERVICE_HOST or 0.0.0.0"),
    port: Optional[int] = typer.Option(None, help="default: EXECUTION_SERVICE_PORT or 3001"),
) -> None:
    """Run the execution service: the HTTP API that queues jobs for the workers."""
    import uvicorn

    from .adapters.judge0 import Judge0Settings
    from .assembly import execution_service_app
    from .service.app import MissingServiceToken
    from .service.settings import QueueSettings, ServiceSettings

    common, service = load_section(CommonSettings), load_section(ServiceSettings)
    configure_logging(common.log_level)
    try:
        app = execution_service_app(load_section(QueueSettings), service, common, load_section(Judge0Settings))
    except MissingServiceToken as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2)
    # An idle client connection stays open longer than clients keep theirs (the platform's queue
    # client: 2 s), so a client never sends a request on a connection the service is closing.
    uvicorn.run(app, host=host or service.host, port=port or service.port, log_config=None,
                timeout_graceful_shutdown=30, timeout_keep_alive=75, access_log=service.access_log)


@app.callback()
def _main() -> None:
    configure_logging(common_settings().log_level)


def _fail(message: str, code: int = 2) -> None:
    err_console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


@app.command()
def run(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="source file"),
    lang: Optional[str] = typer.Option(None, "--lang", "-l", help="language (default: from the extension)"),
    stdin: Optional[Path] = typer.Option(None, "--stdin", exists=True, dir_okay=False, help="file fed to stdin"),
    time_limit: float = typer.Option(2.0, "--time-limit", "-t", help="CPU seconds"),
    memory_limit: int = typer.Option(256, "--memory-limit", "-m", help="MB"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Compile (if needed) and run FILE once in the sandbox."""
    from .engine import execute
    from .languages import UnknownLanguage, get_language, language_for_file
    from .sandbox import Limits, SandboxUnavailable

    try:
        language = get_language(lang) if lang else language_for_file(file)
        limits = Limits(cpu_time=time_limit, memory_mb=memory_limit).validate()
    except (UnknownLanguage, ValueError) as exc:
        _fail(str(exc))
    source = file.read_text(encoding="utf-8", errors="replace")
    input_bytes = stdin.read_bytes() if stdin else b""
    try:
        result = execute(source, language, input_bytes, limits)
    except SandboxUnavailable as exc:
        _fail(f"no sandbox: {exc} (see `codearena doctor`)", code=3)
    if as_json:
        data = result.to_dict()
        print(json.dumps(data, ensure_ascii=False))
    else:
        _print_result(result)
    raise typer.Exit(0 if result.verdict.value == "AC" else 1)


def _print_result(result) -> None:
    colour = "green" if result.verdict.value == "AC" else "red"
    console.print(f"[bold {colour}]{result.verdict.value}[/]  {result.message}")
    console.print(f"time {result.time:.3f}s CPU, {result.wall_time:.3f}s wall, memory {result.memory} KB"
                  + (f", exit code {result.exit_code}" if result.exit_code is not None else "")
                  + (f", signal {result.signal}" if result.signal is not None else ""))
    for title, text in (("compiler output", result.compile_output), ("stdout", result.stdout), ("stderr", result.stderr)):
        if text:
            console.rule(title)
            console.print(text, markup=False, highlight=False, end="" if text.endswith("\n") else "\n")


@app.command()
def judge(
    solution: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="source file"),
    problem: Path = typer.Option(..., "--problem", "-p", exists=True, file_okay=False, help="problem package"),
    lang: Optional[str] = typer.Option(None, "--lang", "-l", help="language (default: from the extension)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    stop_on_failure: bool = typer.Option(False, "--stop-on-failure", help="stop at the first failing test"),
    parallel: int = typer.Option(1, "--parallel", min=1, max=64, help="tests run at once"),
) -> None:
    """Judge SOLUTION against every test of a problem package."""
    from rich.progress import Progress

    from .engine.judge import judge as run_judge
    from .engine.problem import ProblemError, load_problem
    from .languages import UnknownLanguage, get_language, language_for_file
    from .sandbox import SandboxUnavailable

    try:
        language = get_language(lang) if lang else language_for_file(solution)
        package = load_problem(problem)
    except (UnknownLanguage, ProblemError) as exc:
        _fail(str(exc))
    source = solution.read_text(encoding="utf-8", errors="replace")
    try:
        with Progress(console=err_console, transient=True, disable=as_json) as progress:
            task = progress.add_task(f"judging {solution.name}", total=len(package.tests))
            result = run_judge(source, language, package.tests, package.limits, package.checker(),
                               stop_on_failure=stop_on_failure, parallel=parallel,
                               on_test_done=lambda _: progress.advance(task))
    except SandboxUnavailable as exc:
        _fail(f"no sandbox: {exc} (see `codearena doctor`)", code=3)
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        table = Table(title=f"{package.title}: {result.verdict.value}")
        for column in ("test", "verdict", "time", "memory", "message"):
            table.add_column(column)
        for test in result.tests:
            colour = "green" if test.verdict.value == "AC" else "red"
            table.add_row(test.name, f"[{colour}]{test.verdict.value}[/]", f"{test.time:.3f}s", f"{test.memory} KB",
                          test.message)
        console.print(table)
        if result.compile_output:
            console.rule("compiler output")
            console.print(result.compile_output, markup=False, highlight=False)
        console.print(f"[bold]{result.verdict.value}[/]  {result.message}"
                      + (f"  score {result.score:g}/{result.max_score:g}" if result.max_score else ""))
    raise typer.Exit(0 if result.verdict.value == "AC" else 1)


@app.command()
def doctor(require_all: bool = typer.Option(
        False, "--all", help="fail when any language of the catalog is not installed (not only a core one)")) -> None:
    """Say which protections are active and run each installed language's self-test. Fails when a
    self-test fails or a core language (Python, JavaScript, C, C++, Java) is not installed."""
    from .engine import execute
    from .languages import LANGUAGES, SELF_TEST_INPUT, SELF_TEST_OUTPUT, class_data, headers
    from .languages.catalog import CORE_IDS
    from .sandbox import Sandbox, SandboxUnavailable

    try:
        sandbox = Sandbox()
    except SandboxUnavailable as exc:
        err_console.print(f"[bold red]sandbox unavailable:[/] {exc}")
        err_console.print("Nothing untrusted will run. Fix the problem above (`make setup` installs what is "
                          "missing), or set CODEARENA_UNSAFE_DEV_MODE=1 for development only.")
        raise typer.Exit(1)
    protections = Table(title="Protections", show_header=False)
    for key, value in sandbox.protections().items():
        protections.add_row(key, value)
    console.print(protections)
    languages = Table(title="Languages")
    for column in ("language", "version", "self-test", "time", "memory", "shared by compiles"):
        languages.add_column(column)
    failures = 0
    for language in LANGUAGES:
        if not language.available():
            required = require_all or language.id in CORE_IDS
            languages.add_row(language.id, "not installed", "[red]missing[/]" if required else "[yellow]skipped[/]",
                              "", "", "")
            failures += required
            continue
        # A JVM compiler's class-data archive, a C++ compiler's precompiled headers: found or
        # made now (once per toolchain and machine), so that the self-test compiles with them and
        # users' first compiles need not wait for them.
        shared = ""
        if class_data.shares_classes(language):
            shared = ("classes shared" if class_data.archive_for(language, wait=True)
                      else "[yellow]classes not shared (see the log)[/]")
        if language.precompiled_headers:
            made = headers.precompiled(language, wait=True)
            shared = ("headers precompiled" if len(made) == len(language.precompiled_headers)
                      else "[yellow]headers not all precompiled (see the log)[/]")
        result = execute(language.self_test, language, SELF_TEST_INPUT, sandbox=sandbox)
        passed = result.verdict.value == "AC" and result.stdout == SELF_TEST_OUTPUT
        failures += not passed
        status = "[green]pass[/]" if passed else f"[red]fail: {result.verdict.value} {result.message}[/]"
        languages.add_row(language.id, language.version(), status, f"{result.wall_time:.3f}s", f"{result.memory} KB",
                          shared)
    console.print(languages)
    if sandbox.unsafe:
        err_console.print("[bold red]UNSAFE DEVELOPMENT MODE: code runs without isolation[/]")
        raise typer.Exit(1)
    raise typer.Exit(1 if failures else 0)


@app.command()
def config(markdown: bool = typer.Option(False, "--markdown", help="print docs/configuration.md")) -> None:
    """Print every setting: its environment variable, default and meaning, section by section."""
    from .settings import SECTIONS, markdown as settings_markdown, variables

    if markdown:
        print(settings_markdown())
        return
    for name, section in SECTIONS.items():
        table = Table(title=name)
        for column in ("variable", "default", "meaning"):
            table.add_column(column)
        for row in variables(section):
            table.add_row(*row)
        console.print(table)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
