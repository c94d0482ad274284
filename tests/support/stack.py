"""A whole running installation for the worker tests: its own database (a SQLite file, or a
fresh PostgreSQL database when the suite runs on PostgreSQL), a real broker (Celery's
filesystem transport in a temporary folder, or a Redis database of its own), a real SMTP
server, and real `celery worker` and `celery beat` processes started and killed like any
operator would. Code runs against it with `stack.python(...)`, in a separate process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PRELUDE = (
    "import django, json, os; "
    "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'icsvoice.settings'); django.setup()\n"
)


def redis_available(url: str = "redis://127.0.0.1:6379/0") -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


class Stack:
    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp = tmp
        self.env = env
        self.processes: list[subprocess.Popen[bytes]] = []

    def run(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            args, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise AssertionError(f"{args} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def python(self, code: str, timeout: float = 120) -> object:
        """Runs code with Django set up; its last line printed with print(json.dumps(...))
        comes back as the result."""
        out = self.run(str(BIN / "python"), "-c", PRELUDE + code, timeout=timeout)
        lines = [line for line in out.splitlines() if line.strip()]
        return json.loads(lines[-1]) if lines else None

    def start(self, *celery_args: str, name: str) -> subprocess.Popen[bytes]:
        log = open(self.tmp / f"{name}-{len(self.processes)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [str(BIN / "celery"), "-A", "icsvoice", *celery_args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a kill takes the pool too
        )
        self.processes.append(process)
        return process

    def worker(self, concurrency: int = 2) -> subprocess.Popen[bytes]:
        return self.start(
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            name="worker",
        )

    def beat(self) -> subprocess.Popen[bytes]:
        return self.start(
            "beat", "--loglevel", "INFO", "--schedule", str(self.tmp / "beat-schedule"), name="beat"
        )

    @staticmethod
    def kill(process: subprocess.Popen[bytes]) -> None:
        """SIGKILL to the whole process group: the main process and every pool child."""
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.tmp.glob("*.log"))
        )

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                self.kill(process)


def wait_for(check: Callable[[], bool], timeout: float, what: str, stack: Stack) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}.\n{stack.logs()}")


@contextmanager
def stack(tmp: Path, *, broker: str, smtp_port: int, **extra: str) -> Iterator[Stack]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "EMAIL_HOST"}
        and not key.startswith(("PYTEST", "ICSVOICE_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "icsvoice.settings",
            "ICSVOICE_VAR_DIR": str(tmp / "var"),
            "ICSVOICE_MEDIA_ROOT": str(tmp / "media"),
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_USE_TLS": "0",
            "EMAIL_TIMEOUT": "10",
            "ICSVOICE_EMAIL_LEASE_SECONDS": "5",
            "ICSVOICE_EMAIL_DISPATCH_GRACE_SECONDS": "1",
            "ICSVOICE_SCAN_SECONDS": "2",
            "CELERY_VISIBILITY_TIMEOUT": "30",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    suite_db = os.environ.get("DATABASE_URL", "")
    pg_name = ""
    if suite_db.startswith("postgres"):
        import psycopg

        pg_name = f"icsvoice_stack_{uuid.uuid4().hex[:10]}"
        base = suite_db.rsplit("/", 1)[0]
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{pg_name}"')
        env["DATABASE_URL"] = f"{base}/{pg_name}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'stack.sqlite3'}"
    if broker == "redis":
        # A Redis database of its own (8 to 15), so two suites side by side do not clash.
        env["CELERY_BROKER_URL"] = f"redis://127.0.0.1:6379/{8 + os.getpid() % 8}"
        import redis

        redis.Redis.from_url(env["CELERY_BROKER_URL"]).flushdb()
    else:
        env["CELERY_BROKER_URL"] = "filesystem://"
    running = Stack(tmp, env)
    try:
        running.run(str(BIN / "python"), "manage.py", "migrate", "--no-input", "-v", "0")
        yield running
    finally:
        running.stop_all()
        if pg_name:
            import psycopg

            with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
