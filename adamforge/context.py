"""What every step receives: folders, the run log, the quiet flag."""

from __future__ import annotations

import dataclasses
from importlib import resources
from pathlib import Path

from .options import DEFAULT_POLICY
from .progress import Progress
from .runlog import RunLog

#: the study ``adamforge run`` reproduces when no ``--study`` or ``--spec`` is given
DEFAULT_STUDY = "reference"


def studies_dir() -> Path:
    """The folder of the study spec folders shipped with the package (``specs/``)."""
    return Path(str(resources.files("adamforge.specs")))


def default_spec_dir() -> Path:
    """The reference study's spec folder shipped with the package (``specs/reference/``)."""
    return studies_dir() / DEFAULT_STUDY


#: ``study: {sdtm: simulated}``: the study's SDTM is written by ``adamforge simulate``
SIMULATED = "simulated"


def sample_data_dir() -> Path:
    """The folder of the SDTM samples shipped with the package (``sdtm_sample/``)."""
    return Path(str(resources.files("adamforge.sdtm_sample")))


@dataclasses.dataclass(frozen=True)
class StudySdtm:
    """Where a study's SDTM comes from, as its spec's ``study: {sdtm: ...}`` says.

    ``simulated``: ``adamforge run`` runs the simulate step into ``<out>/sdtm`` (the reference
    study: ``sdtm: simulated``; also a spec that says nothing, as before). ``folder``: the
    study's packaged data folder (``sdtm: cdiscpilot01`` -> ``sdtm_sample/cdiscpilot01/``),
    read as the SDTM input when no ``--sdtm`` is given, and the folder the QC spec's files
    (validated datasets) are resolved in. ``declared``: the spec says it.
    """

    simulated: bool = True
    folder: Path | None = None
    declared: bool = False

    def describe(self) -> str:
        """One phrase for the log."""
        if self.folder is not None:
            return f"the study's SDTM shipped with the package ({self.folder})"
        return "simulated" if self.simulated else "not declared"


def shipped_folders(root: Path) -> list[str]:
    """The names of the folders shipped in ``root`` (studies, SDTM data), sorted; ``_``/``.`` folders are not."""
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def study_sdtm(spec: Path) -> StudySdtm:
    """Read ``study.sdtm`` of a spec folder (the ``study`` section of its ``adam*.yaml`` files).

    ``simulated``, or the plain name of a folder of ``sdtm_sample/`` holding the study's SDTM
    files. A spec workbook, or a spec that does not say, gives the default (simulated, as
    ``adamforge run`` always did). Raises :class:`~adamforge.errors.UsageError` for a value
    that is neither (a path, ``..``, a folder that is not shipped).
    """
    import re

    from .errors import UsageError
    from .yamlsafe import load_yaml

    spec = Path(spec)
    if not spec.is_dir():
        return StudySdtm()
    value = None
    for f in sorted(spec.glob("adam*.yaml")):
        try:
            text = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # the spec loader reports it
        if not re.search(r"^study\s*:", text, re.M):
            continue
        try:
            data = load_yaml(f) or {}
        except Exception:  # noqa: BLE001 - the spec loader reports a bad file with its context
            continue
        study = data.get("study") if isinstance(data, dict) else None
        if isinstance(study, dict) and "sdtm" in study:
            value = study["sdtm"]
    if value is None:
        return StudySdtm()
    name = str(value).strip()
    if name == SIMULATED:
        return StudySdtm(simulated=True, declared=True)
    if not name or name.startswith((".", "_")) or "/" in name or "\\" in name or "\x00" in name:
        raise UsageError(
            f"spec {spec}: study.sdtm must be {SIMULATED!r} or the plain name of a folder of "
            f"sdtm_sample/ shipped with the package, not {value!r}"
        )
    folder = sample_data_dir() / name
    if not folder.is_dir():
        shipped = shipped_folders(sample_data_dir())
        raise UsageError(
            f"spec {spec}: study.sdtm names {name!r}, which is not an SDTM folder shipped with the "
            f"package (shipped: {', '.join(shipped) or 'none'})"
        )
    return StudySdtm(simulated=False, folder=folder, declared=True)


@dataclasses.dataclass
class RunContext:
    """Folders and services of one run.

    Attributes
    ----------
    out : the output tree (``out/`` by default): ``sdtm/``, ``adam/``, ``validation/``,
        ``tlf/``, ``qc/`` and the run log.
    sdtm : the SDTM input folder (default ``<out>/sdtm``).
    spec : the spec folder (default: the reference study's).
    log : the run log.
    quiet : suppress notes and progress on the terminal.
    encoding : text encoding of XPT/CSV input (``--encoding``); ``None`` is UTF-8.
    study_sdtm : where the study's SDTM comes from (its spec's ``study.sdtm``): simulated, or a
        folder shipped with the package (also the folder the QC spec's files are resolved in).
    policy : ``--policy``, ``"submission"`` (default) or ``"dev"``: the one strictness policy of the
        spec check, the SDTM input check, finalisation and validation (:mod:`adamforge.options`).
    """

    out: Path
    sdtm: Path
    spec: Path
    log: RunLog
    quiet: bool = False
    encoding: str | None = None
    study_sdtm: StudySdtm = dataclasses.field(default_factory=StudySdtm)
    policy: str = DEFAULT_POLICY

    @property
    def spec_dir(self) -> Path:
        """The folder of the spec's companion files (``tlf.yaml``, ``adam_analysis.yaml``): the spec
        folder, or the folder holding the spec workbook when ``--spec`` names an ``.xlsx`` file."""
        return self.spec if self.spec.suffix.lower() != ".xlsx" else self.spec.parent

    @property
    def data_notice(self) -> str:
        """The synthetic-data notice when the SDTM input is the simulated study, else ``""``."""
        from .provenance import data_notice

        return data_notice(self.sdtm, encoding=self.encoding)

    def progress(self, step: str, total: int) -> Progress:
        """A progress display for ``step`` with ``total`` units of work."""
        return Progress(step, total, quiet=self.quiet)
