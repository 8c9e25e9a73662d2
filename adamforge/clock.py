"""The run's time stamp: one place, fixable for reproducible documents.

Every output that carries a creation time (logs, define.xml, Word footers, Dataset-JSON,
evidence packs) takes it from :func:`run_timestamp`. Set ``ADAMFORGE_TIMESTAMP`` to an ISO 8601
date-time (e.g. ``2026-01-01T00:00:00``) or ``SOURCE_DATE_EPOCH`` to seconds since 1970 to fix it.
"""

from __future__ import annotations

import datetime as _dt
import os

_FROZEN: _dt.datetime | None = None


def run_timestamp() -> _dt.datetime:
    """Return the run's time stamp (UTC, whole seconds), the same for the whole process."""
    global _FROZEN
    if _FROZEN is None:
        fixed = os.environ.get("ADAMFORGE_TIMESTAMP")
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if fixed:
            ts = _dt.datetime.fromisoformat(fixed)
            if ts.tzinfo is None:
                ts = ts.replace(tzinfo=_dt.UTC)
        elif epoch:
            ts = _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC)
        else:
            ts = _dt.datetime.now(tz=_dt.UTC)
        _FROZEN = ts.astimezone(_dt.UTC).replace(microsecond=0)
    return _FROZEN


def run_timestamp_iso() -> str:
    """The run time stamp as ``YYYY-MM-DDTHH:MM:SS`` (UTC, no offset), as define.xml wants."""
    return run_timestamp().strftime("%Y-%m-%dT%H:%M:%S")


def _reset_for_tests() -> None:
    global _FROZEN
    _FROZEN = None
