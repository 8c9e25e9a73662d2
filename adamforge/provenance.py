"""Where the data come from: the synthetic-data notice goes on outputs of simulated data only.

The simulator marks its SDTM the SDTM way, with a Trial Summary record
``TSPARMCD = "DATASRC"`` whose value starts with ``SYNTHETIC``. Every output made from such a
study carries :data:`adamforge.SYNTHETIC_DATA_NOTICE` (Word footers, define.xml, reports); a
sponsor's own SDTM, without that record, gets no such notice.
"""

from __future__ import annotations

import functools
from pathlib import Path

from . import SYNTHETIC_DATA_NOTICE


@functools.lru_cache(maxsize=16)
def _notice_for(folder: str, ts_mtime: float, encoding: str | None = None) -> str:
    from .sdtm_io import read_sdtm

    ts = read_sdtm(folder, ["TS"], encoding=encoding)["TS"]
    if not {"TSPARMCD", "TSVAL"} <= set(ts.columns):
        return ""
    src = ts.loc[ts["TSPARMCD"] == "DATASRC", "TSVAL"].astype(str)
    return SYNTHETIC_DATA_NOTICE if src.str.upper().str.startswith("SYNTHETIC").any() else ""


def data_notice(sdtm_folder: str | Path, encoding: str | None = None) -> str:
    """The synthetic-data notice if the SDTM in ``sdtm_folder`` is simulated, else ``""``.

    ``encoding``: of the TS file (``--encoding``), as for :func:`adamforge.sdtm_io.read_sdtm`."""
    folder = Path(sdtm_folder)
    ts = next((p for p in folder.glob("*") if p.name.lower() == "ts.xpt"), None) if folder.is_dir() else None
    if ts is None:
        return ""
    return _notice_for(str(folder), ts.stat().st_mtime, encoding)
