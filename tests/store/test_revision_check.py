"""The schema revision is read without Alembic; Alembic runs only when a migration is due.

Whether a module was imported can only be seen in a process that has not imported it
yet, so these tests use a fresh interpreter (tests/store/child.py) on a real store.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from reconciler.store import migrations, schema
from reconciler.store.base import Store
from tests.store import dbtools
from tests.store.requests import numbered, request

ROOT = Path(__file__).resolve().parents[2]


def _use_in_fresh_process(url: str, count: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.store.child", "use", url, str(count)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_the_static_head_is_the_head_alembic_computes_from_the_revision_scripts() -> None:
    assert schema.scripted_head() == migrations.HEAD
    assert schema.head() == migrations.HEAD


def test_a_store_at_the_head_is_opened_read_and_written_without_alembic(
    store: Store, store_url: str
) -> None:
    store.apply(request(store.read(), numbered(3)))
    result = _use_in_fresh_process(store_url, 4)
    assert result == {"serial": 2, "alembic": []}
    assert [d.name for d in store.read().domains.values()] == [d.name for d in numbered(4)]


def test_a_new_store_is_created_at_the_head_without_alembic(store_url: str) -> None:
    """An empty database gets the metadata's tables, stamped at the head (the same as
    the migrations make: test_contract compares them); Alembic is not even imported."""
    result = _use_in_fresh_process(store_url, 2)
    assert result["serial"] == 1
    assert result["alembic"] == []
    with dbtools.connect(store_url) as conn:
        assert schema.current(conn) == schema.head()


SHOW = """
import json, sys
from reconciler.cli import main
sys.argv = ["mailctl", "show", "--state", sys.argv[1]]
try:
    main()
except SystemExit as exc:
    code = exc.code
heavy = sorted({name.split(".")[0] for name in sys.modules} & {"alembic", "ruamel"})
print(json.dumps({"exit": code, "heavy": heavy}), file=sys.stderr)
"""


def test_show_on_a_store_at_the_head_imports_neither_alembic_nor_the_yaml_writer(
    store: Store, store_url: str
) -> None:
    store.apply(request(store.read(), numbered(2)))
    done = subprocess.run(
        [sys.executable, "-c", SHOW, store_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert json.loads(done.stderr.splitlines()[-1]) == {"exit": 0, "heavy": []}, done.stderr
    assert "d00001.example: imap" in done.stdout
