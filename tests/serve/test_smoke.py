"""A real ``mailctl serve`` on 127.0.0.1: it comes up, answers autoconfig with the
exported bytes and an Autodiscover POST, connects an inbox with the token of its
``--token-file``, refuses an oversized request head, and stops on SIGTERM with exit
status 0."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from reconciler.app.autoconfig import ExportOptions, export
from tests.app_support import seeded
from tests.autoconfig.autodiscover_support import request
from tests.pgcluster import free_port
from tests.store.requests import domain

pytestmark = pytest.mark.smoke

DEADLINE_SECONDS = 60  # generous: the CPU is shared; a deadline, not a timing claim


def test_serve_answers_and_stops_on_sigterm(mailctl_bin: str, tmp_path: Path) -> None:
    url = seeded(tmp_path, [domain("example.com")])
    export(ExportOptions(out=tmp_path / "out", state_url=url))
    expected = (tmp_path / "out/www/example.com/mail/config-v1.1.xml").read_bytes()
    token = "smoke-0123456789abcdef"
    token_file = tmp_path / "token"
    token_file.write_text(token)
    token_file.chmod(0o600)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            *(mailctl_bin, "serve", "--state", url, "--bind", f"127.0.0.1:{port}"),
            *("--token-file", str(token_file)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = None
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline and server.poll() is None:
            try:
                health = httpx.get(f"{base}/healthz", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert health is not None and health.json()["serial"] == 1
        answer = httpx.get(f"{base}/mail/config-v1.1.xml?emailaddress=a@example.com", timeout=5)
        assert answer.content == expected
        outlook = httpx.post(f"{base}/Autodiscover/Autodiscover.xml", content=request(), timeout=5)
        assert outlook.status_code == 200
        assert "<Server>imap.example.com</Server>" in outlook.text
        connected = httpx.post(
            f"{base}/v1/inboxes",
            json={"address": "carol@example.com"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        assert connected.status_code == 201
        huge_head = httpx.get(f"{base}/healthz", headers={"X-Pad": "x" * 20_000}, timeout=5)
        assert huge_head.status_code == 431  # past 16 KiB of headers, though sent at once
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=DEADLINE_SECONDS)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0, stderr
    logged = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert {"path": "/mail/config-v1.1.xml", "status": 200} in [
        {"path": line.get("path"), "status": line.get("status")} for line in logged
    ]
    assert "a@example.com" not in stderr and token not in stderr
