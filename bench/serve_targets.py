"""The three HTTP servers bench/serve.py drives, each seeded with the same domains:
``mailctl serve`` on a SQLite store filled by an apply, automx2 (from PyPI, in its own
venv, under gunicorn) on its SQLite database, and nginx serving the files of
``mailctl autoconfig export``. Everything listens on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import autoconfig
from autoconfig import SECURITIES
from validate import find_mailctl

from reconciler.app import autoconfig as autoconfig_app
from reconciler.app.apply import ApplyPathRequest, apply_path
from reconciler.desired.model import Domain

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "bench-serve"  # .cache/ is not tracked
NGINX = "/usr/sbin/nginx"
GUNICORN_THREADS = 4  # gthread: keep-alive connections, like uvicorn's and nginx's


@dataclass
class Server:
    name: str
    base: str  # http://127.0.0.1:PORT
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- mailctl -------------------------------------------------------------------------


def domains_yaml(domains: Iterable[Domain]) -> str:
    lines = ["version: 1", "domains:"]
    for d in domains:
        lines.append(f"  {d.name}:")
        for protocol, end in (("imap", d.imap), ("smtp", d.smtp)):
            lines.append(
                f"    {protocol}: {{host: {end.host}, port: {end.port}, security: {end.security}}}"
            )
    return "\n".join(lines) + "\n"


class _Confirm:
    def show(self, planned: object) -> None:
        pass

    def confirm(self, where: str) -> bool:
        return True


def apply_domains(url: str, path: Path, domains: Iterable[Domain]) -> int:
    """Apply ``domains`` (written to ``path``) to the store at ``url`` through the
    application layer, as ``mailctl apply --yes --allow-unchecked`` does; the serial."""
    path.write_text(domains_yaml(domains))
    done = apply_path(
        ApplyPathRequest(
            path=path,
            actor="bench",
            state_url=url,
            lifted=frozenset({"checks", "mass-change"}),
        ),
        _Confirm(),
    )
    if done.applied is None or done.applied.serial is None:
        sys.exit(f"bench: the apply did not happen: {done.nothing_applied}")
    return done.applied.serial


def export_files(url: str, out: Path) -> Path:
    """``mailctl autoconfig export --state URL --out OUT``; the www folder."""
    autoconfig_app.export(autoconfig_app.ExportOptions(out, state_url=url))
    return out / "www"


def start_mailctl(url: str, port: int, workers: int, log: Path) -> Server:
    argv = [find_mailctl(), "serve", "--state", url, "--bind", f"127.0.0.1:{port}"]
    argv += ["--workers", str(workers)]
    return _start("mailctl serve", port, argv, log, health="/healthz")


# --- automx2 -------------------------------------------------------------------------


def automx2_venv(spec: str) -> Path:
    """A venv under .cache/ with ``spec`` (automx2, a pinned version or a path) and
    gunicorn; made once, reused after."""
    venv = CACHE / "automx2-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    have = subprocess.run(
        [str(python), "-c", "import automx2, gunicorn"], capture_output=True, check=False
    )
    if have.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", spec, "gunicorn"], check=True)
    return venv


def automx2_versions(venv: Path) -> dict[str, str]:
    code = (
        "from importlib.metadata import version as v;"
        "print(v('automx2'), v('gunicorn'), v('flask'), v('sqlalchemy'))"
    )
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    return dict(zip(("automx2", "gunicorn", "flask", "sqlalchemy"), out, strict=True))


def automx2_conf(tmp: Path) -> Path:
    """automx2.conf as its docs show for production behind a proxy: log level WARNING,
    no SQL echo, a SQLite file."""
    conf = tmp / "automx2.conf"
    conf.write_text(
        "[automx2]\nloglevel = WARNING\ndb_echo = no\n"
        f"db_uri = sqlite:///{tmp / 'automx2.sqlite'}\nproxy_count = 0\n"
    )
    return conf


def start_automx2(venv: Path, conf: Path, port: int, workers: int, log: Path) -> Server:
    argv = [
        str(venv / "bin" / "gunicorn"),
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--worker-class", "gthread",
        "--threads", str(GUNICORN_THREADS),
        "--log-level", "warning",
        "automx2.server:app",
    ]  # fmt: skip
    env = {"AUTOMX2_CONF": str(conf), "FLASK_CONFIG": "production"}
    return _start("automx2", port, argv, log, health="/", env=env, cwd=conf.parent)


SOCKET_TYPES = {"ssl": "SSL", "starttls": "STARTTLS"}  # automx2 has no plain servers


def generate(count: int) -> dict[str, Domain]:
    """bench/autoconfig.py's domains with the security combinations automx2 can
    express: it logs an error for every answer naming a server without SSL or STARTTLS."""
    return autoconfig.generate(count, tuple(s for s in SECURITIES if "none" not in s))


def seed_automx2(server: Server, conf: Path, domains: Mapping[str, Domain]) -> None:
    """automx2's tables made the documented way (``GET /initdb/`` creates them with
    sample data, ``DELETE /initdb/`` purges it), then rows for ``domains`` inserted
    with SQL, as its docs advise beyond the one-provider JSON seed
    (contrib/sqlite-generate.sh). Each domain is its own provider: automx2 lists every
    domain of a provider in each autoconfig answer, so 50 shared providers would make
    each answer name 200 domains. Servers are shared: one row per host, port and
    security, linked to its domains."""
    for method in ("GET", "DELETE"):
        request = urllib.request.Request(server.base + "/initdb/", method=method)
        with urllib.request.urlopen(request, timeout=30) as answer:
            answer.read()
    servers: dict[tuple[str, str, int, str], int] = {}
    links: list[tuple[int, int]] = []
    rows = []
    for domain_id, domain in enumerate(domains.values(), start=1):
        rows.append((domain_id, domain.name))
        for kind, end in (("imap", domain.imap), ("smtp", domain.smtp)):
            key = (kind, end.host, end.port, end.security)
            links.append((servers.setdefault(key, len(servers) + 1), domain_id))
    db = sqlite3.connect(conf.parent / "automx2.sqlite")
    with db:
        db.executemany(
            "INSERT INTO provider(id, name, short_name) VALUES(?, ?, ?)",
            [(i, name, name.split(".")[0]) for i, name in rows],
        )
        db.executemany(
            "INSERT INTO server(id, prio, name, port, type, socket_type, user_name,"
            " authentication) VALUES(?, 10, ?, ?, ?, ?, '%EMAILADDRESS%', 'plain')",
            [(i, host, port, kind, SOCKET_TYPES[sec]) for (kind, host, port, sec), i in
             servers.items()],
        )  # fmt: skip
        db.executemany(
            "INSERT INTO domain(id, name, provider_id) VALUES(?, ?, ?)",
            [(i, name, i) for i, name in rows],
        )
        db.executemany("INSERT INTO server_domain(server_id, domain_id) VALUES(?, ?)", links)
    db.close()


# --- nginx ---------------------------------------------------------------------------

NGINX_CONF = """\
worker_processes {workers};
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    default_type application/xml;
    sendfile on;
    keepalive_requests 100000;
    # The domain of ?emailaddress=local@domain (the @ raw or as %40).
    map $arg_emailaddress $mail_domain {{
        "~^[^@%]+(?:@|%40)(?<d>[A-Za-z0-9.-]+)$" $d;
        default "-";
    }}
    server {{
        listen 127.0.0.1:{port};
        location = /mail/config-v1.1.xml {{
            root {www}/$mail_domain;
            try_files /mail/config-v1.1.xml =404;
        }}
        location = /healthz {{ return 200 "ok\\n"; }}
    }}
}}
"""


def start_nginx(www: Path, tmp: Path, port: int, workers: int, log: Path) -> Server:
    """nginx, not as root, pid and logs in ``tmp``, serving ``www/<domain>/``."""
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(workers=workers, tmp=tmp, port=port, www=www))
    argv = [NGINX, "-p", str(tmp), "-e", str(tmp / "nginx-error.log"), "-c", str(conf)]
    return _start("nginx", port, [*argv, "-g", "daemon off;"], log, health="/healthz")


# --- common --------------------------------------------------------------------------


def _start(
    name: str,
    port: int,
    argv: list[str],
    log: Path,
    *,
    health: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Server:
    out = log.open("ab")
    process = subprocess.Popen(
        argv, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, cwd=cwd
    )
    server = Server(name, f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"bench: {name} exited {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(server.base + health, timeout=5) as answer:
                if answer.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    server.stop()
    sys.exit(f"bench: {name} did not answer {health} within 120 s; see {log}")


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc children lists)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *descendants(child)]
    return found


def rss_mb(pid: int) -> float:
    """VmRSS of ``pid`` in MB (10^6 bytes)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e6
    return 0.0


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
