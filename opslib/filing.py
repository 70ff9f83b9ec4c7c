"""Writing under the runs directory: owner-only by default, and refused early when impossible.

Evidence holds parameters, hosts and findings; other users of the machine have no business
reading it. Files are 0600 and folders 0700 unless the environment file's `evidence.mode`
says otherwise (e.g. "0640" for a group of reviewers; folders get x where they get r).
"""

import errno
import os
import threading
from datetime import datetime, timezone
from pathlib import Path

from .errors import BadInput

DEFAULT_MODE = "0600"
MODE_VARIABLE = "OPSLIB_EVIDENCE_MODE"  # the runner hands the environment file's mode to its kernel


def parse_mode(text, origin: str = "evidence.mode") -> int:
    try:
        mode = int(str(text), 8)
    except ValueError:
        mode = -1
    if not 0o400 <= mode <= 0o666 or not mode & 0o600 == 0o600:
        raise BadInput(f"{origin} is {str(text)[:40]!r}", 'give an octal file mode the owner can read and write, e.g. "0600" or "0640"')
    if mode & 0o022:
        raise BadInput(f"{origin} is {str(text)[:40]!r}: others could rewrite the evidence", 'give a mode only the owner can write, e.g. "0600" or "0640"')
    return mode


def file_mode() -> int:
    try:
        return parse_mode(os.environ.get(MODE_VARIABLE) or DEFAULT_MODE)
    except BadInput:
        return 0o600


def dir_mode() -> int:
    mode = file_mode()
    return mode | 0o100 | ((mode & 0o044) >> 2)


def umask() -> int:
    """The umask that makes files papermill and the kernel create come out at `file_mode()`."""
    return 0o777 & ~dir_mode()


def make_dirs(path: Path) -> None:
    """Create `path` and any missing parents with the evidence folder mode."""
    path = Path(path)
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=dir_mode())
        except FileExistsError:
            continue
        os.chmod(folder, dir_mode())


def write_text(path: Path, text: str, durable: bool = True) -> None:
    """Write a whole file at the evidence mode (atomically: a reader never sees half of it). `durable=False`: not
    flushed to the disk before it replaces the old file (a run's in-flight notebook, saved at each cell: it must
    outlive a killed process, which the page cache does, and is filed durably at the end)."""
    path = Path(path)
    make_dirs(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")  # runs of a batch are threads of one process
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, file_mode())
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except BaseException:  # a full disk, or a signal: no half file is left behind
        tmp.unlink(missing_ok=True)
        raise


NO_ROOM = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)  # the disk (or the user's quota, or the file size limit) is full


def no_room(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in NO_ROOM


def copy_new(source: Path, target: Path) -> None:
    """Copy to a file that must not exist yet, at the evidence mode."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, file_mode())
    with open(source, "rb") as src, os.fdopen(fd, "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)


def open_new(path: Path):
    """A binary handle to a file that must not exist yet, at the evidence mode."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, file_mode()), "wb")


def open_append(path: Path):
    """A binary handle to append to (created at the evidence mode)."""
    path = Path(path)
    make_dirs(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, file_mode())
    return os.fdopen(fd, "a+b")


def check_runs_dir(root: Path) -> None:
    """Refuse, before anything starts, a runs directory that could not take this run's evidence."""
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise BadInput(f"runs directory {root} is a file", "pass --runs-dir a folder (or remove the file)")
    for name in ("ledger.jsonl", "journal.jsonl"):
        if (root / name).exists() and not (root / name).is_file():
            raise BadInput(f"{root / name} is not a file", f"move it aside; opslib keeps its {name.split('.')[0]} there")
    today = datetime.now(timezone.utc)
    for folder in (root / ".inflight", root / f"{today:%Y}", root / f"{today:%Y/%m}", root / f"{today:%Y/%m/%d}"):
        if folder.exists() and not folder.is_dir():
            raise BadInput(f"{folder} is a file where opslib files runs", "move it aside or pass another --runs-dir")
    existing = root
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise BadInput(f"{existing} is a file, so runs directory {root} cannot be created", "pass --runs-dir a folder")
    probe = existing / f".opslib-probe-{os.getpid()}"
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        raise BadInput(f"runs directory {root} cannot be written ({exc.strerror})", "pass --runs-dir a folder you can write, or fix its permissions") from None
    for name in ("ledger.jsonl", "journal.jsonl"):
        path = root / name
        if path.exists() and not os.access(path, os.W_OK):
            raise BadInput(f"{path} cannot be written", "fix its permissions or pass another --runs-dir")


def lines_backwards(path: Path, block: int = 1 << 16):
    """The file's non-empty lines, last first, read from the end in blocks (a chain's tail costs what it holds)."""
    with open(path, "rb") as fh:
        end = fh.seek(0, os.SEEK_END)
        rest = b""
        while end > 0:
            start = max(0, end - block)
            fh.seek(start)
            chunk = fh.read(end - start) + rest
            parts = chunk.split(b"\n")
            rest = parts[0] if start > 0 else b""
            for line in reversed(parts[1:] if start > 0 else parts):
                if line:
                    yield line
            end = start
