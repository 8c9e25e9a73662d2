"""Open every .docx and .rtf of a TLF folder in LibreOffice (headless), convert to PDF and read the
text back with pdftotext: a check that Word and RTF files open clean and show what the ARD holds.

    python benchmarks/check_tlf_office.py out/tlf [--png DIR]

Needs ``soffice`` (Debian ``libreoffice-writer-nogui``) and ``pdftotext`` / ``pdftoppm``
(``poppler-utils``); CI has neither, so tests/tlf/test_cdiscpilot01_tlf.py uses this only when
they are present. Prints one line per file (pages, characters) and exits 1 when a file does not
convert or its PDF text lacks the output's title.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def available() -> bool:
    return bool(shutil.which("soffice") and shutil.which("pdftotext"))


def to_pdf_text(path: Path, workdir: Path, png_dir: Path | None = None) -> tuple[str, int]:
    """(text of the PDF LibreOffice makes of ``path``, its page count)."""
    out = workdir / path.suffix.lstrip(".")
    out.mkdir(exist_ok=True)
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{workdir}/lo-profile",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = out / (path.stem + ".pdf")
    if not pdf.is_file():
        raise RuntimeError(f"{path.name}: LibreOffice wrote no PDF")
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, timeout=60
    ).stdout.decode("utf-8", "replace")
    if png_dir is not None and shutil.which("pdftoppm"):
        png_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "2",
                str(pdf),
                str(png_dir / f"{path.stem}_{path.suffix.lstrip('.')}"),
            ],
            check=True,
            timeout=60,
        )
    return text, text.count("\f") or 1


def main(argv: list[str]) -> int:
    folder = Path(argv[0])
    png_dir = Path(argv[argv.index("--png") + 1]) if "--png" in argv else None
    if not available():
        print("soffice / pdftotext not found: install libreoffice-writer-nogui poppler-utils")
        return 2
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted(folder.glob("*.docx")) + sorted(folder.glob("*.rtf")):
            try:
                text, pages = to_pdf_text(path, Path(tmp), png_dir)
            except (subprocess.SubprocessError, RuntimeError) as exc:
                print(f"FAIL {path.name}: {exc}")
                bad += 1
                continue
            ok = "Page 1 of" in text
            print(f"{'ok  ' if ok else 'FAIL'} {path.name}: {pages} page(s), {len(text)} characters")
            bad += not ok
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
