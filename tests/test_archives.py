"""Staging submissions: hostile archives and folders are rejected with a reason."""

import io
import json
import os
import stat
import zipfile

import pytest

from grader.batch.archives import MAX_FILES, Rejected, stage
from grader.batch.discover import describe, list_entries, parse_shard
from grader.batch.modules import ModuleMissing, find_module
from grader.catalog import find

LINEAR = find("linear")
SOURCE = b"import numpy as np\n\nclass Linear:\n    pass\n"


def make_zip(path, members, *, symlinks=(), stored=()):
    """Write a zip with ``members`` (name -> bytes); names in ``symlinks`` become symbolic links,
    names in ``stored`` are not compressed."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            if name in symlinks:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, data)
    return path


def mark_encrypted(path):
    """Set the "encrypted" flag of every member, in local headers and the central directory."""
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start != -1:
            data[start + offset] |= 0x1
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))


def rejection(kind, source, tmp_path):
    with pytest.raises(Rejected) as caught:
        stage(kind, source, tmp_path / "staged")
    return str(caught.value)


def test_zip_of_workspace_unwrapped(tmp_path):
    archive = make_zip(tmp_path / "alice.zip", {"alice/exercises/ex02_linear.py": SOURCE})
    root = stage("zip", archive, tmp_path / "staged")
    assert root.name == "alice"
    assert find_module(root, LINEAR, 1) == root / "exercises" / "ex02_linear.py"


@pytest.mark.parametrize("name", ["../evil.py", "a/../../evil.py", "/etc/evil.py", "C:/evil.py", "a\\..\\evil.py"])
def test_zip_escaping_member_rejected(tmp_path, name):
    archive = make_zip(tmp_path / "evil.zip", {"ex02_linear.py": SOURCE, name: b"x = 1\n"})
    message = rejection("zip", archive, tmp_path)
    assert repr(name) in message
    assert not (tmp_path / "evil.py").exists()
    assert not (tmp_path.parent / "evil.py").exists()


def test_zip_symlink_rejected(tmp_path):
    archive = make_zip(tmp_path / "link.zip", {"ex02_linear.py": b"/work/main/solutions/ex02_linear.py"},
                       symlinks=("ex02_linear.py",))
    assert "symbolic link" in rejection("zip", archive, tmp_path)


def test_zip_bomb_rejected(tmp_path):
    archive = make_zip(tmp_path / "bomb.zip", {"ex02_linear.py": SOURCE, "padding.bin": bytes(20 * 1024**2)})
    assert archive.stat().st_size < 100 * 1024
    message = rejection("zip", archive, tmp_path)
    assert "times its size" in message
    assert "zip bomb" in message


def test_zip_over_size_limit_rejected(tmp_path):
    archive = make_zip(tmp_path / "big.zip", {"ex02_linear.py": SOURCE, "data.bin": bytes(65 * 1024**2)},
                       stored=("data.bin",))
    assert "more than the 64 MiB limit" in rejection("zip", archive, tmp_path)


def test_zip_too_many_members_rejected(tmp_path):
    archive = make_zip(tmp_path / "many.zip", {f"f{i}.txt": b"" for i in range(MAX_FILES + 1)})
    assert f"more than {MAX_FILES}" in rejection("zip", archive, tmp_path)


def test_corrupt_zip_rejected(tmp_path):
    archive = tmp_path / "corrupt.zip"
    archive.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    assert "not a valid zip archive" in rejection("zip", archive, tmp_path)


def test_zip_with_bad_crc_rejected(tmp_path):
    archive = make_zip(tmp_path / "crc.zip", {"ex02_linear.py": SOURCE * 50})
    data = bytearray(archive.read_bytes())
    start = data.index(b"ex02_linear.py") + len("ex02_linear.py")
    data[start + 5] ^= 0xFF  # damage the compressed bytes of the only member
    archive.write_bytes(bytes(data))
    message = rejection("zip", archive, tmp_path)
    assert "zip" in message
    assert "again" in message


def test_encrypted_zip_rejected(tmp_path):
    archive = make_zip(tmp_path / "secret.zip", {"ex02_linear.py": SOURCE})
    mark_encrypted(archive)
    assert "encrypted" in rejection("zip", archive, tmp_path)


def test_zip_duplicate_member_rejected(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, pytest.warns(UserWarning):
        archive.writestr("ex02_linear.py", SOURCE)
        archive.writestr("ex02_linear.py", b"Linear = None\n")
    path = tmp_path / "twice.zip"
    path.write_bytes(buffer.getvalue())
    assert "appears twice" in rejection("zip", path, tmp_path)


def test_folder_symlink_rejected(tmp_path):
    folder = tmp_path / "bob"
    folder.mkdir()
    (folder / "ex02_linear.py").symlink_to("/etc/hostname")
    assert "symbolic link" in rejection("folder", folder, tmp_path)


def test_folder_fifo_rejected(tmp_path):
    folder = tmp_path / "carol"
    folder.mkdir()
    os.mkfifo(folder / "ex02_linear.py")
    assert "not a regular file" in rejection("folder", folder, tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file_rejected(tmp_path):
    folder = tmp_path / "dan"
    folder.mkdir()
    (folder / "ex02_linear.py").write_bytes(SOURCE)
    (folder / "ex02_linear.py").chmod(0)
    assert "cannot read" in rejection("folder", folder, tmp_path)


def test_module_encoding_left_to_worker(tmp_path):
    """The worker imports it with Python's rule (PEP 263), as single-file grading does."""
    folder = tmp_path / "erin"
    folder.mkdir()
    (folder / "ex02_linear.py").write_bytes(b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + SOURCE)
    root = stage("folder", folder, tmp_path / "staged")
    assert find_module(root, LINEAR, 1) == root / "ex02_linear.py"


def test_notebook_without_cell_ids_no_warning(tmp_path, recwarn):
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": "x = 1"}
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    folder = tmp_path / "ivy"
    folder.mkdir()
    (folder / "ex02_linear.ipynb").write_text(json.dumps(notebook))
    root = stage("folder", folder, tmp_path / "staged")
    assert find_module(root, LINEAR, 1) == root / "ex02_linear.ipynb"
    assert [str(warning.message) for warning in recwarn] == []


@pytest.mark.parametrize("content", [b"{not json", b'{"cells": 3}', b"\xff\xfe"])
def test_corrupt_notebook_rejected(tmp_path, content):
    folder = tmp_path / "frank"
    folder.mkdir()
    (folder / "ex02_linear.ipynb").write_bytes(content)
    root = stage("folder", folder, tmp_path / "staged")
    with pytest.raises(Rejected, match="ex02_linear.ipynb"):
        find_module(root, LINEAR, 1)


def test_missing_module_rejected(tmp_path):
    folder = tmp_path / "gina"
    (folder / "exercises").mkdir(parents=True)
    (folder / "exercises" / "ex03_activations.py").write_bytes(SOURCE)
    (folder / "exercises" / "notes.py").write_bytes(SOURCE)
    root = stage("folder", folder, tmp_path / "staged")
    with pytest.raises(ModuleMissing, match="no ex02_linear.py"):
        find_module(root, LINEAR, 1)


def test_single_file_any_name_for_one_exercise(tmp_path):
    path = tmp_path / "hal.py"
    path.write_bytes(SOURCE)
    root = stage("file", path, tmp_path / "staged")
    assert find_module(root, LINEAR, 1).name == "hal.py"
    with pytest.raises(Rejected, match="one exercise only"):
        find_module(root, LINEAR, 2)


def test_entries_listed_and_classified(tmp_path):
    (tmp_path / "alice.py").write_bytes(SOURCE)
    (tmp_path / "bob.ipynb").write_text("{}")
    (tmp_path / "carol").mkdir()
    make_zip(tmp_path / "dan.zip", {"ex02_linear.py": SOURCE})
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / ".DS_Store").write_text("junk")
    (tmp_path / "__MACOSX").mkdir()
    entries = {entry.submission: entry for entry in list_entries(tmp_path)}
    assert sorted(entries) == ["alice", "bob", "carol", "dan", "notes"]
    assert [entries[name].kind for name in ("alice", "bob", "carol", "dan")] == ["file", "file", "folder", "zip"]
    assert "not a .py or .ipynb file" in entries["notes"].problem
    assert all(entries[name].digest.startswith("sha256:") for name in ("alice", "carol", "dan"))


def test_duplicate_identifiers_rejected(tmp_path):
    (tmp_path / "alice.py").write_bytes(SOURCE)
    make_zip(tmp_path / "alice.zip", {"ex02_linear.py": SOURCE})
    (tmp_path / "bob.py").write_bytes(SOURCE)
    entries = list_entries(tmp_path)
    assert [entry.submission for entry in entries] == ["alice.py", "alice.zip", "bob"]
    for entry in entries[:2]:
        assert "'alice.py' and 'alice.zip' have the same identifier 'alice'" in entry.problem
    assert entries[2].problem == ""


def test_full_names_clashing_again_renamed(tmp_path):
    for name in ("a.py", "a.zip", "a.py.py"):
        (tmp_path / name).write_bytes(SOURCE)
    identifiers = [entry.submission for entry in list_entries(tmp_path)]
    assert identifiers == ["a.py", "a.py.py", "a.zip"]


def test_symlinked_entry_rejected(tmp_path):
    (tmp_path / "real.py").write_bytes(SOURCE)
    (tmp_path / "linked.py").symlink_to(tmp_path / "real.py")
    assert "symbolic link" in describe(tmp_path / "linked.py").problem


def test_digest_follows_content(tmp_path):
    path = tmp_path / "alice.py"
    path.write_bytes(SOURCE)
    first = describe(path).digest
    path.write_bytes(SOURCE + b"# changed\n")
    assert describe(path).digest != first


@pytest.mark.parametrize("text, message", [("0/3", "counts from 1"), ("4/3", "does not exist"),
                                           ("x", "not a shard"), ("1/0", "at least 1"), ("1/2/3", "not a shard")])
def test_bad_shard_rejected(text, message):
    with pytest.raises(ValueError, match=message):
        parse_shard(text)


def test_shards_split_evenly():
    entries = list(range(10))
    parts = [parse_shard(f"{k}/3").select(entries) for k in (1, 2, 3)]
    assert sorted(sum(parts, [])) == entries
    assert [len(part) for part in parts] == [4, 3, 3]
