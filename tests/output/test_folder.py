"""The output folder primitive: paths stay inside, the descriptor cache stays small."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import InputError
from reconciler.output.folder import OutputFolder


def listing(root: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(root)): None if p.is_dir() else p.read_bytes()
        for p in sorted(root.rglob("*"))
    }


def test_a_file_in_place_of_a_folder_is_refused_and_paths_must_stay_inside(
    tmp_path: Path,
) -> None:
    (tmp_path / "www").write_bytes(b"a file\n")
    with OutputFolder.open(tmp_path) as folder:
        with pytest.raises(InputError, match="is not a folder"):
            folder.write("www/example.com/x", b"data")
        for bad in ("../x", "/etc/x", "a//b", "a/./b", ""):
            with pytest.raises(ValueError, match="not a path inside the folder"):
                folder.write(bad, b"data")
    assert listing(tmp_path) == {"www": b"a file\n"}


def test_many_folders_are_written_with_few_descriptors_open(tmp_path: Path) -> None:
    """Thousands of files in as many folders: the descriptor cache stays bounded (an
    unbounded one would run out of descriptors long before 3,000 folders)."""
    files = [(f"d{i:04}/sub/f{i}", str(i).encode()) for i in range(3000)]
    fds = Path("/proc/self/fd")
    before = len(list(fds.iterdir()))
    with OutputFolder.open(tmp_path / "out") as folder:
        folder.write_many(files)
        peak = len(list(fds.iterdir()))
        assert all(folder.holds(name, data) for name, data in files)
    assert peak - before < 200
    assert len(list(fds.iterdir())) == before
    assert len(list((tmp_path / "out").iterdir())) == 3000


def test_a_link_planted_in_a_folder_the_walk_just_made_is_refused(tmp_path: Path) -> None:
    """Below a folder it made, the walk makes a name without trying to open it first;
    something another process put there since is still opened without following it."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    with OutputFolder.open(out) as folder:
        assert folder.folder(("www", "example.com"), create=True) is not None
        (out / "www" / "example.com" / "mail").symlink_to(elsewhere)
        with pytest.raises(InputError, match="is a symbolic link"):
            folder.write("www/example.com/mail/config-v1.1.xml", b"data")
        (out / "www" / "example.com" / "dns").write_bytes(b"a file\n")
        with pytest.raises(InputError, match="is not a folder"):
            folder.write("www/example.com/dns/x.zone", b"data")
        folder.write("www/example.com/new/x", b"data")
    assert list(elsewhere.iterdir()) == []
    assert (out / "www" / "example.com" / "new" / "x").read_bytes() == b"data"
