"""Listing the commands loads no HTTP stack: ``mailctl --help`` and every other command
but ``serve`` stay as quick to start as before the service existed."""

from __future__ import annotations

import json
import subprocess
import sys

PACKAGES = ("starlette", "uvicorn", "jinja2", "httptools", "uvloop")
MODULES = ("reconciler.serve.app", "reconciler.serve.run")

PROBE = """
import json, sys
from reconciler.cli import main
packages, modules = json.loads(sys.argv[1])
sys.argv = ["mailctl", "--help"]
try:
    main()
except SystemExit:
    pass
loaded = sorted(n for n in sys.modules if n.split(".")[0] in packages or n in modules)
print(json.dumps(loaded))
"""


def test_mailctl_help_imports_no_http_stack() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps([PACKAGES, MODULES])],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "serve" in done.stdout  # the listing names the command ...
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == [], f"mailctl --help imported {loaded}"  # ... without loading it
