"""Zip archives from outside (Judge0's `additional_files`, a problem package an admin uploads),
read with every bound set before a byte is trusted: the archive's entry count, each name
(relative, without '.' or '..'), and the bytes actually decompressed (never the sizes the
archive claims), so a zip bomb stops at the limit. Links, devices and encrypted entries are
refused rather than unpacked."""

from __future__ import annotations

import io
import os
import stat
import zipfile
import zlib
from pathlib import Path

from .validation import relative_path_parts


class ArchiveError(ValueError):
    """The archive cannot be unpacked as asked; the message says why."""


def read_zip(archive: bytes, max_bytes: int, max_files: int) -> list[tuple[str, bytes]]:
    """The archive's regular files as (relative path, bytes); directories are implied by paths."""
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            entries = zipped.infolist()
            if len(entries) > 2 * max_files:  # directories are entries too, but not without bound
                raise ArchiveError(f"the archive has {len(entries)} entries; at most {max_files} files are allowed")
            files: list[tuple[str, bytes]] = []
            seen: set[str] = set()
            total = 0
            for entry in entries:
                if entry.is_dir():
                    continue
                if stat.S_IFMT(entry.external_attr >> 16) not in (0, stat.S_IFREG):
                    raise ArchiveError(f"{entry.filename!r} is not a regular file (links and devices are refused)")
                if entry.flag_bits & 0x1:
                    raise ArchiveError(f"{entry.filename!r} is encrypted")
                try:
                    path = "/".join(relative_path_parts(entry.filename))
                except ValueError as exc:
                    raise ArchiveError(str(exc)) from None
                if path in seen:
                    raise ArchiveError(f"holds {path!r} twice")
                if len(files) >= max_files:
                    raise ArchiveError(f"the archive holds more than {max_files} files")
                with zipped.open(entry) as member:
                    data = member.read(max_bytes - total + 1)
                total += len(data)
                if total > max_bytes:
                    raise ArchiveError(f"the archive unpacks to more than {max_bytes // 1024} KB")
                seen.add(path)
                files.append((path, data))
            return files
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ArchiveError(f"is not a zip archive that can be unpacked ({exc})") from None
    except zlib.error as exc:
        raise ArchiveError(f"holds data that cannot be decompressed ({exc})") from None


def write_new_file(root: Path, path: str, data: bytes, mode: int = 0o644) -> None:
    """A new file at the relative `path` under `root`, a directory only we write to, its
    directories made as the path needs them; never through a link, never over a file."""
    target = root.joinpath(*relative_path_parts(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def extract_zip(archive: bytes, target: Path, max_bytes: int, max_files: int) -> None:
    """Unpack into `target`, an empty directory of ours."""
    for path, data in read_zip(archive, max_bytes, max_files):
        try:
            write_new_file(target, path, data)
        except (FileExistsError, NotADirectoryError):  # "lib" a file and "lib/x" a file, in either order
            raise ArchiveError(f"{path!r}: a name in its path is both a file and a directory in the archive") from None
