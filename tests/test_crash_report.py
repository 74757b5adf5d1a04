"""An internal error's report is private to its user and holds no store password.

Run in-process through ``reconciler.cli.main``, the one error boundary of the CLI; the
fault is injected by replacing the function that opens the store.
"""

from __future__ import annotations

import stat
import tempfile
from pathlib import Path

import pytest

from reconciler.store import open as store_open
from tests.cli_support import run_captured as run

PASSWORD = "Sec%40ret-Pw"  # percent-encoded in the URL: the password is Sec@ret-Pw


@pytest.mark.parametrize("given_by", ["--state", "--state=", "MAILCTL_STATE"])
def test_an_internal_error_report_is_private_and_holds_no_store_password(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    given_by: str,
) -> None:
    url = f"postgresql://mailctl:{PASSWORD}@127.0.0.1:1/mailctl?sslpassword=Key-Pw"

    def broken(opened: str) -> None:
        # An unexpected error whose text and locals carry the URL and its password.
        password = "Sec@ret-Pw"
        raise RuntimeError(f"cannot open {opened} as {password.upper()} / {password}")

    monkeypatch.setattr(store_open, "open_store", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    argv = ["show"]
    if given_by == "--state":
        argv += ["--state", url]
    elif given_by == "--state=":
        argv += [f"--state={url}"]
    else:
        monkeypatch.setenv("MAILCTL_STATE", url)
    code, err = run(capsys, *argv)
    assert code == 1
    assert "internal error (RuntimeError)" in err
    [folder] = tmp_path.iterdir()
    [report] = folder.iterdir()
    assert str(report) in err
    assert stat.S_IMODE(folder.lstat().st_mode) == 0o700 and folder.is_dir()
    assert not folder.is_symlink() and not report.is_symlink()
    assert stat.S_IMODE(report.lstat().st_mode) == 0o600
    text = report.read_text()
    assert "RuntimeError" in text and "127.0.0.1:1/mailctl" in text
    for secret in (PASSWORD, "Sec@ret-Pw", "SEC@RET-PW", "Key-Pw"):
        assert secret.lower() not in text.lower()
