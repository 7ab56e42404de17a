"""PDFs of the report (``wbt merge --pdf``), made by LibreOffice headless.

``soffice --headless --convert-to pdf`` converts the report files in one call,
with a throwaway profile of its own (``-env:UserInstallation``: it never
touches, nor waits for, a LibreOffice the officer has open), within a time
limit (:data:`TIMEOUT`; the call and whatever it started are ended after it),
into a temporary folder; each PDF is then written beside its report, whole or
not at all. Without LibreOffice, or when it fails, the outcome says so in
Vietnamese and the report stays as written: a PDF is never a reason to stop.

Vietnamese letters need a font that has them: the report's Times New Roman is
replaced by Liberation Serif where it is not installed, and only Liberation
Serif 2 (Debian: ``fonts-liberation2``) has them all.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from workbook_tools.errors import OutputError
from workbook_tools.workspace import write_atomic

#: Seconds LibreOffice is given for the whole conversion (its first start makes the profile).
TIMEOUT = 120.0
#: Where the LibreOffice installer puts it on Windows, below each "Program Files".
WINDOWS_PROGRAM = Path("LibreOffice") / "program" / "soffice.exe"
_WINDOWS_FOLDERS = ("ProgramFiles", "ProgramW6432", "ProgramFiles(x86)")
_WINDOWS_DEFAULTS = (r"C:\Program Files", r"C:\Program Files (x86)")

#: The throwaway profile's settings: numbers and dates shown the Vietnamese way (83,3%),
#: as Excel shows them to the officer, whatever the machine's locale.
_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse">\
<value>vi-VN</value></prop></item>
</oor:items>
"""

INSTALL_IT = (
    "Để có PDF, hãy cài LibreOffice (miễn phí, https://vi.libreoffice.org) rồi chạy lại lệnh "
    "với --pdf, hoặc mở báo cáo trong Excel, Word và chọn Tệp → Lưu thành → PDF."
)


@dataclass(frozen=True, slots=True)
class PdfOutcome:
    """The PDFs written, and what stopped the others (a Vietnamese message), if anything."""

    written: tuple[Path, ...]
    problem: str | None = None


def find_soffice() -> str | None:
    """LibreOffice's ``soffice``: on PATH, or on Windows where its installer puts it."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    if sys.platform == "win32":
        folders = [os.environ.get(v, "") for v in _WINDOWS_FOLDERS] + list(_WINDOWS_DEFAULTS)
        for folder in folders:
            if folder and (Path(folder) / WINDOWS_PROGRAM).is_file():
                return str(Path(folder) / WINDOWS_PROGRAM)
    return None


def make_pdfs(
    sources: Sequence[Path], *, soffice: str | None = None, timeout: float = TIMEOUT
) -> PdfOutcome:
    """A PDF beside each of ``sources`` (same name, ``.pdf``), by LibreOffice.

    Never raises for LibreOffice missing, failing, running too long or a PDF that
    cannot be written: :attr:`PdfOutcome.problem` says it, the PDFs made are kept.
    """
    program = soffice or find_soffice()
    if program is None:
        return PdfOutcome(
            (),
            "Chưa tạo tệp PDF: máy này chưa cài LibreOffice (không tìm thấy chương trình "
            f"soffice). Báo cáo vẫn được ghi đầy đủ. {INSTALL_IT}",
        )
    with tempfile.TemporaryDirectory(prefix="wbt-pdf-") as tmp:
        profile, out = Path(tmp) / "profile", Path(tmp) / "pdf"
        out.mkdir()
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(_SETTINGS, "utf-8")
        command = [
            program,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nolockcheck",
            "--nologo",
            "--nodefault",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            *(str(s) for s in sources),
        ]
        failure = _run(command, timeout)
        written: list[Path] = []
        missing: list[Path] = []
        for source in sources:
            made = out / f"{source.stem}.pdf"
            if not made.is_file() or made.stat().st_size == 0:
                missing.append(source)
                continue
            target = source.with_suffix(".pdf")
            try:
                write_atomic(target, made.read_bytes(), what="tệp PDF")
            except OutputError as err:
                return PdfOutcome(tuple(written), str(err))
            written.append(target)
    if not missing:
        return PdfOutcome(tuple(written))
    names = ", ".join(s.name for s in missing)
    why = f" ({failure})" if failure else ""
    return PdfOutcome(
        tuple(written),
        f"LibreOffice không tạo được tệp PDF của {names}{why}. Báo cáo vẫn được ghi đầy đủ. "
        "Hãy chạy lại lệnh; nếu vẫn lỗi, hãy mở báo cáo và lưu thành PDF bằng tay.",
    )


def _run(command: list[str], timeout: float) -> str | None:
    """Run ``command`` within ``timeout`` seconds, it and what it started ended after
    that; why it failed, for the officer, or ``None``."""
    options: dict[str, object] = {}
    if sys.platform == "win32":
        options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        options["start_new_session"] = True  # its own process group, ended as one
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            **options,  # type: ignore[call-overload]
        )
    except OSError as err:
        return f"không chạy được {command[0]}: {err.strerror or err}"
    try:
        _, errors = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _end(process)
        return f"LibreOffice chạy quá {timeout:.0f} giây nên đã bị dừng"
    except BaseException:
        _end(process)
        raise
    if process.returncode != 0:
        last = errors.decode("utf-8", "replace").strip().splitlines()
        detail = f": {last[-1]}" if last else ""
        return f"mã thoát {process.returncode}{detail}"
    return None


def _end(process: subprocess.Popen[bytes]) -> None:
    """End ``process`` and the processes it started (LibreOffice's launcher starts its
    program as a child), then wait for it."""
    if sys.platform == "win32":
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(
                ["taskkill", "/T", "/F", "/PID", str(process.pid)],
                capture_output=True,
                timeout=30,
                check=False,
            )
    else:
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.communicate(timeout=30)
