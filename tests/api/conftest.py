"""The platform API over real HTTP: uvicorn on a free loopback port, the real sandbox, and a real
database: every test here runs once on SQLite and once on PostgreSQL (127.0.0.1:5432)."""

from __future__ import annotations

import uuid
from pathlib import Path
from dataclasses import dataclass
from typing import Iterator

import httpx
import psycopg
import pytest

from codearena.common_settings import CommonSettings
from codearena.languages import language_for_file
from codearena.execution import ExecutionSettings
from codearena.platform_app.app import create_app
from codearena.platform_app.users import create_user
from codearena.platform_app.settings import PlatformSettings

from ..support import SERVICE_TOKEN, RunningServer, missing

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TEST_SECRET = "test-secret-" + "x" * 40


@dataclass
class PostgresDatabase:
    name: str

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:5432/{self.name}"

    def drop(self) -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def create_postgres_database() -> PostgresDatabase:
    database = PostgresDatabase(f"codearena_test_{uuid.uuid4().hex[:12]}")
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{database.name}"')
    except psycopg.OperationalError as exc:
        missing(f"PostgreSQL is needed on 127.0.0.1:5432 with trust auth ({exc})", "start it with `make services`")
    return database


def test_settings(database_url: str, **overrides) -> PlatformSettings:
    values = dict(database_url=database_url, jwt_secret=TEST_SECRET, node_env="test", rate_limit="", login_rate_limit="",
                  register_rate_limit="")
    values.update(overrides)
    return PlatformSettings(**values)


class PlatformServer(RunningServer):
    @property
    def services(self):
        return self.app.state.services

    def add_user(self, username: str, password: str = "password123", role: str = "user") -> None:
        with self.services.sessions() as session:
            create_user(session, username, password, role)

    def client(self, username: str | None = None, password: str = "password123") -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=120)
        if username:
            answer = httpx.post(self.url + "/api/auth/login", json={"username": username, "password": password})
            answer.raise_for_status()
            client.headers["Authorization"] = f"Bearer {answer.json()['token']}"
        return client


def start_server(database_url: str, sandbox, execution: ExecutionSettings | None = None,
                 common: CommonSettings | None = None, **overrides) -> PlatformServer:
    app = create_app(test_settings(database_url, **overrides), execution or ExecutionSettings(), sandbox=sandbox,
                     common=common or CommonSettings(execution_service_token=SERVICE_TOKEN))
    return PlatformServer(app)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db')}/codearena.db"
        return
    database = create_postgres_database()
    yield database.url
    database.drop()


@pytest.fixture(scope="session")
def server(database_url, sandbox) -> Iterator[RunningServer]:
    with start_server(database_url, sandbox) as running:
        running.add_user("admin", role="admin")
        running.add_user("alice")
        running.add_user("bob")
        yield running


@pytest.fixture
def admin(server) -> Iterator[httpx.Client]:
    with server.client("admin") as client:
        yield client


@pytest.fixture
def alice(server) -> Iterator[httpx.Client]:
    with server.client("alice") as client:
        yield client


@pytest.fixture
def bob(server) -> Iterator[httpx.Client]:
    with server.client("bob") as client:
        yield client


@pytest.fixture
def anonymous(server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


HELLO = {
    "python": "print('hello ' + input())\n",
    "javascript": "const s = require('fs').readFileSync(0, 'utf8').trim();\nconsole.log('hello ' + s);\n",
    "c": '#include <stdio.h>\nint main(){char s[64];scanf("%63s",s);printf("hello %s\\n",s);return 0;}\n',
    "cpp": '#include <iostream>\n#include <string>\nint main(){std::string s;std::cin>>s;std::cout<<"hello "<<s<<"\\n";}\n',
    "java": 'import java.util.*;\npublic class Main{public static void main(String[] a){Scanner in=new Scanner(System.in);'
            'System.out.println("hello "+in.next());}}\n',
}

# The example problem's solutions, one file per language (the benchmarks judge the same files).
A_PLUS_B = {language_for_file(path).id: path.read_text()
            for path in sorted((Path(__file__).resolve().parents[2] / "examples" / "aplusb" / "solutions").iterdir())}
LANGUAGES = list(HELLO)
