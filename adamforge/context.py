"""What every step receives: folders, the run log, the quiet flag."""

from __future__ import annotations

import dataclasses
from importlib import resources
from pathlib import Path

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
    """

    out: Path
    sdtm: Path
    spec: Path
    log: RunLog
    quiet: bool = False
    encoding: str | None = None

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
