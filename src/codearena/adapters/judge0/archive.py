"""Judge0's `additional_files`: a zip archive, unpacked into the job's files.

Judge0 unzips it inside the sandbox. Here it is read in the adapter with every bound set before
a byte is trusted: the archive's size, its number of entries, each name (relative, no '..'),
and the bytes actually decompressed (never the sizes the archive claims), so a zip bomb stops
at the limit. Links, devices and encrypted entries are refused rather than unpacked.
"""

from __future__ import annotations

import base64
import io
import stat
import zipfile
import zlib

from ...execution.contract import MAX_FILES, JobFile
from ...validation import relative_path_parts


class ArchiveError(ValueError):
    """The archive cannot be the program's files; the message says why."""


def unpack_zip(archive: bytes, max_bytes: int) -> tuple[JobFile, ...]:
    """The archive's regular files as job files (directories are implied by their paths)."""
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            entries = zipped.infolist()
            if len(entries) > 2 * MAX_FILES:  # directories count too, but not without bound
                raise ArchiveError(f"the archive has {len(entries)} entries; at most {MAX_FILES} files are allowed")
            files: list[JobFile] = []
            total = 0
            for entry in entries:
                if entry.is_dir():
                    continue
                kind = stat.S_IFMT(entry.external_attr >> 16)
                if kind not in (0, stat.S_IFREG):
                    raise ArchiveError(f"{entry.filename!r} is not a regular file (links and devices are refused)")
                if entry.flag_bits & 0x1:
                    raise ArchiveError(f"{entry.filename!r} is encrypted")
                try:
                    path = "/".join(relative_path_parts(entry.filename))
                except ValueError as exc:
                    raise ArchiveError(str(exc)) from None
                if any(path == other.path for other in files):
                    raise ArchiveError(f"holds {path!r} twice")
                if len(files) >= MAX_FILES:
                    raise ArchiveError(f"the archive holds more than {MAX_FILES} files")
                with zipped.open(entry) as member:
                    data = member.read(max_bytes - total + 1)
                total += len(data)
                if total > max_bytes:
                    raise ArchiveError(f"the archive unpacks to more than {max_bytes // 1024} KB")
                files.append(JobFile(path=path, content=base64.b64encode(data).decode(), encoding="base64"))
            return tuple(files)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ArchiveError(f"is not a zip archive that can be unpacked ({exc})") from None
    except zlib.error as exc:
        raise ArchiveError(f"holds data that cannot be decompressed ({exc})") from None
