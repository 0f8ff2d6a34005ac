"""Copy or extract a submission into a private folder, rejecting hostile input.

Every submission is graded from its own copy, so that no other student's
files are visible to it and the original stays unchanged. The copy is
rejected, with a reason, when the entry contains:

- zip members that would land outside the folder (``..``, absolute paths,
  drive letters) or symbolic links, in an archive or in a folder;
- more than :data:`MAX_BYTES` or :data:`MAX_FILES` once expanded, or an
  archive that expands to more than :data:`MAX_RATIO` times its own size;
- a corrupt or password-protected archive, a special file (FIFO, socket,
  device) or a file that cannot be read;
- Python sources that are not UTF-8 text, or notebooks that are not valid
  Jupyter notebooks (checked when a module is picked, see ``modules``).
"""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

MAX_BYTES = 64 * 1024**2
MAX_FILES = 2000
MAX_DEPTH = 32
#: An archive may expand to this many times its size (plus RATIO_SLACK); text
#: compresses about 3 to 10 times, a zip bomb thousands of times.
MAX_RATIO = 100
RATIO_SLACK = 1024**2
SKIPPED_NAMES = ("__MACOSX", "__pycache__", ".ipynb_checkpoints")


class Rejected(Exception):
    """The submission cannot be graded; the message gives the reason and the fix."""


def stage(kind: str, source: Path, destination: Path) -> Path:
    """Copy (``file``, ``folder``) or extract (``zip``) an entry into ``destination``.

    Returns the folder that contains the submission's files: a zip whose only
    top-level entry is a folder is unwrapped.
    """
    destination.mkdir(parents=True)
    if kind == "file":
        copy_file(source, destination / source.name, Budget())
        return destination
    if kind == "folder":
        copy_folder(source, destination, Budget(), depth=0)
        return destination
    if kind == "zip":
        extract_zip(source, destination)
        return unwrap(destination)
    raise Rejected(f"{source.name!r} is not a .py or .ipynb file, a folder or a .zip archive")


class Budget:
    """Bytes and files still allowed in one submission's copy."""

    def __init__(self) -> None:
        self.bytes = MAX_BYTES
        self.files = MAX_FILES

    def take_file(self, name: str) -> None:
        self.files -= 1
        if self.files < 0:
            raise Rejected(f"the submission contains more than {MAX_FILES} files (at {name!r}); "
                           "submit only the exercise modules")

    def take_bytes(self, count: int, name: str) -> None:
        self.bytes -= count
        if self.bytes < 0:
            raise Rejected(f"the submission is larger than {MAX_BYTES // 1024**2} MiB (at {name!r}); "
                           "submit only the exercise modules")


def skipped(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_NAMES


def copy_file(source: Path, target: Path, budget: Budget, shown: str | None = None) -> None:
    shown = shown or source.name
    budget.take_file(shown)
    try:
        with open(source, "rb") as reader, open(target, "wb") as writer:
            while block := reader.read(1 << 20):
                budget.take_bytes(len(block), shown)
                writer.write(block)
    except OSError as error:
        raise Rejected(f"cannot read {shown!r}: {error.strerror or error}; "
                       "make the file readable or submit it again") from None


def copy_folder(source: Path, target: Path, budget: Budget, depth: int, prefix: str = "") -> None:
    """Copy a folder's regular files and folders; reject links and special files."""
    if depth > MAX_DEPTH:
        raise Rejected(f"folders are nested more than {MAX_DEPTH} deep (at {prefix!r})")
    try:
        children = sorted(os.scandir(source), key=lambda child: child.name)
    except OSError as error:
        raise Rejected(f"cannot read the folder {prefix or source.name!r}: {error.strerror or error}") from None
    for child in children:
        if skipped(child.name):
            continue
        shown = f"{prefix}{child.name}"
        mode = child.stat(follow_symlinks=False).st_mode
        if stat.S_ISLNK(mode):
            raise Rejected(f"{shown!r} is a symbolic link (to {os.readlink(child.path)!r}); "
                           "symbolic links are not accepted, submit the file itself")
        if stat.S_ISDIR(mode):
            (target / child.name).mkdir()
            copy_folder(Path(child.path), target / child.name, budget, depth + 1, f"{shown}/")
        elif stat.S_ISREG(mode):
            copy_file(Path(child.path), target / child.name, budget, shown)
        else:
            raise Rejected(f"{shown!r} is not a regular file (a FIFO, socket or device); remove it")


def extract_zip(archive_path: Path, target: Path) -> None:
    """Extract a zip archive member by member, checking each before writing it."""
    try:
        with zipfile.ZipFile(archive_path) as archive:
            members = archive.infolist()
            check_expansion(members, archive_path.stat().st_size)
            budget = Budget()
            seen: set[str] = set()
            for member in members:
                extract_member(archive, member, target, budget, seen)
    except zipfile.BadZipFile as error:
        raise Rejected(f"{archive_path.name!r} is not a valid zip archive ({error}); create it again") from None
    except (zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, RuntimeError) as error:
        raise Rejected(f"{archive_path.name!r} cannot be extracted ({error}); create it again") from None


def check_expansion(members: list[zipfile.ZipInfo], archive_size: int) -> None:
    """Reject archives whose members are too many or declare too many bytes."""
    if len(members) > MAX_FILES:
        raise Rejected(f"the archive contains {len(members)} entries, more than {MAX_FILES}; submit only the modules")
    declared = sum(member.file_size for member in members)
    if declared > MAX_BYTES:
        raise Rejected(f"the archive expands to {declared / 1024**2:.0f} MiB, more than the "
                       f"{MAX_BYTES // 1024**2} MiB limit; submit only the modules")
    if declared > MAX_RATIO * archive_size + RATIO_SLACK:
        raise Rejected(f"the archive expands to {declared} bytes, {declared // max(archive_size, 1)} times "
                       f"its size of {archive_size} bytes (a zip bomb?); more than {MAX_RATIO} times is rejected")


def extract_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, budget: Budget,
                   seen: set[str]) -> None:
    name = member.filename
    parts = member_parts(name)
    if member.flag_bits & 0x1:
        raise Rejected(f"{name!r} is encrypted; submit an archive without a password")
    if stat.S_ISLNK(member.external_attr >> 16):
        raise Rejected(f"{name!r} is a symbolic link; symbolic links are not accepted, submit the file itself")
    if not parts or any(skipped(part) for part in parts):
        return
    if len(parts) > MAX_DEPTH:
        raise Rejected(f"{name!r} is nested more than {MAX_DEPTH} folders deep")
    key = "/".join(parts)
    if key in seen:
        raise Rejected(f"{name!r} appears twice in the archive; create it again")
    seen.add(key)
    path = target.joinpath(*parts)
    if not path.resolve().is_relative_to(target.resolve()):  # defence in depth, after member_parts
        raise Rejected(f"{name!r} would be written outside the submission's folder")
    if member.is_dir():
        path.mkdir(parents=True, exist_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    budget.take_file(name)
    with archive.open(member) as reader, open(path, "wb") as writer:
        while block := reader.read(1 << 20):  # counts real bytes: a member's header may lie
            budget.take_bytes(len(block), name)
            writer.write(block)


def member_parts(name: str) -> tuple[str, ...]:
    """Split a member's name into path parts; reject names that escape the folder."""
    if "\0" in name or "\\" in name:
        raise Rejected(f"{name!r} contains a backslash or NUL character; create the archive with a zip tool "
                       "that writes / between folders")
    path = PurePosixPath(name)
    if path.is_absolute() or (path.parts and len(path.parts[0]) == 2 and path.parts[0][1] == ":"):
        raise Rejected(f"{name!r} is an absolute path; archive members must be relative to the archive")
    if ".." in path.parts:
        raise Rejected(f"{name!r} contains '..' and would be written outside the submission's folder")
    return tuple(part for part in path.parts if part not in ("", "."))


def unwrap(folder: Path) -> Path:
    """Return the only subfolder of ``folder`` when it contains nothing else (a zipped folder)."""
    children = list(folder.iterdir())
    if len(children) == 1 and children[0].is_dir() and children[0].name != "exercises":
        return children[0]
    return folder


def remove(folder: Path) -> None:
    """Delete a staged copy, making folders that a submission made read-only writable first."""
    def make_writable(function, path, _error):
        try:
            os.chmod(os.path.dirname(path), 0o700)
            function(path)
        except OSError:
            pass  # left for the removal of the batch's whole work folder

    shutil.rmtree(folder, onerror=make_writable)
