"""The ``adamforge validate`` step: SDTM input checks, ADaM expectations and conformance, one report.

Validates the SDTM input (``ctx.sdtm``) and, when ``<out>/adam/*.parquet`` exist, the ADaM
datasets against the spec; writes ``<out>/validation/findings.json`` and ``report.html``
(atomically, both or neither) and prints a summary. Exit code 1 when an ERROR-level finding
exists under ``--policy submission`` (the default); under ``--policy dev`` errors are reported
and the step succeeds.

For ``adamforge run``, :func:`validate_sdtm_gate` and :func:`validate_adam_gate` are the two
gates (SDTM before derive, ADaM before the deliverables); each writes the report and returns the
exit code the policy gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from adamforge.errors import EXIT_FAILED, EXIT_OK, UsageError
from adamforge.findings import Finding, count_by_severity
from adamforge.options import DEFAULT_POLICY, POLICIES

HELP = "check SDTM input and ADaM output against the spec; findings report"


# -- reading -----------------------------------------------------------------------------


def read_adam(folder: Path) -> tuple[dict[str, pd.DataFrame], dict[str, dict[str, str]]]:
    """The ADaM Parquet files of ``folder`` (``adsl.parquet`` -> ``ADSL``) and their variable labels.

    Labels come from the Parquet schema's field metadata (``label``), as the derive step writes them.
    """
    import pyarrow.parquet as pq

    data: dict[str, pd.DataFrame] = {}
    labels: dict[str, dict[str, str]] = {}
    for path in sorted(Path(folder).glob("*.parquet")):
        name = path.stem.upper()
        with pq.ParquetFile(path) as pf:  # the same Table as pq.read_table, without importing pyarrow.dataset
            table = pf.read()
        data[name] = table.to_pandas()
        labs = {
            f.name: f.metadata[b"label"].decode("utf-8") for f in table.schema if f.metadata and b"label" in f.metadata
        }
        if labs:
            labels[name] = labs
    return data, labels


def read_sdtm_domain(folder: Path, domain: str, choose, *, log=None, encoding=None):
    """One SDTM domain, only the variables ``choose(columns, numeric_columns)`` names (None: all;
    False: none, the file is checked only). Returns ``(DataFrame or None, all the columns)``.

    Every file is checked as :func:`adamforge.sdtm_io.read_sdtm` checks it, which it reads
    through: against ``manifest.json`` (SHA-256 and records) and, when no verified Parquet copy
    stands for it, by reading it whole. The verified Parquet copy of an XPT file (the
    simulator's) is read column by column, only the variables chosen: the x100 diary domain
    without the text no check reads.
    """
    import pyarrow as pa
    import pyarrow.parquet as papq

    from adamforge.io import sha256_file
    from adamforge.readers import domain_files, manifest_entry
    from adamforge.sdtm_io import check_against_manifest, read_manifest, read_sdtm

    folder = Path(folder)
    files = domain_files(folder)
    entry = manifest_entry(read_manifest(folder), domain)
    path, others = files[domain][0], files[domain][1:]
    pq = folder / str(entry.get("parquet", "-"))
    # the XPT file is hashed once: to trust its Parquet copy and for the manifest check and the log
    digest = sha256_file(path) if path.suffix.lower() == ".xpt" and entry.get("xpt") == path.name else None
    if not (
        digest is not None
        and entry.get("xpt_sha256") == digest
        and pq.is_file()
        and sha256_file(pq) == entry.get("parquet_sha256")
    ):
        df = read_sdtm(folder, [domain], log=log, encoding=encoding)[domain]
        names = list(df.columns)
        cols = choose(names, [c for c in names if pd.api.types.is_float_dtype(df[c].dtype)])
        if cols is False:
            return None, names
        return (df if cols is None else df[[c for c in names if c in cols]]), names
    meta = papq.ParquetFile(pq)
    schema = meta.schema_arrow
    names = list(schema.names)
    check_against_manifest(path, domain, entry, observations=meta.metadata.num_rows, digest=digest)
    numeric = [f.name for f in schema if pa.types.is_floating(f.type) or pa.types.is_integer(f.type)]
    cols = choose(names, numeric)
    if log is not None:
        log.lines.append(f"NOTE: Input {path}  sha256={digest}")
        if cols is not False:
            log.lines.append(
                f"NOTE: SDTM {domain} read from {path.name}"
                + (f" (also present, not read: {', '.join(p.name for p in others)})" if others else "")
            )
    if cols is False:
        return None, names
    df = pd.read_parquet(pq, columns=None if cols is None else [c for c in names if c in cols])
    if log is not None:
        log.dataset("SDTM", domain, len(df), len(names))
    return df, names


# -- validating --------------------------------------------------------------------------


def validate_sdtm(sdtm: Mapping[str, pd.DataFrame], spec=None):
    """SDTM input checks; returns ``(findings, seconds per rule)``."""
    run = validate_sdtm_run(sdtm, spec)
    return run.findings, run.seconds


def validate_sdtm_run(sdtm: Mapping[str, pd.DataFrame], spec=None):
    """SDTM input checks as a :class:`~.rules.RuleRun` (findings, wall and CPU seconds per rule).

    One layer (:func:`.sdtm_checks.check_sdtm`): ``derive`` runs the same rules on what its
    programs read, so the SDTM gate of ``adamforge run`` stops on everything derive would stop on.
    ``spec`` (the loaded spec) gives the programs' reads and the ``inputs`` section; without it
    only SDTM's own rules run.
    """
    from .sdtm_checks import check_sdtm

    return check_sdtm(sdtm, spec)


def derive_input_findings(sdtm: Mapping[str, pd.DataFrame], spec_dir) -> list[Finding]:
    """What ``adamforge derive`` would reject in this SDTM: the ERROR findings of its input check.

    Kept for callers of the former two-layer design: the derive check is now the same layer
    (:func:`adamforge.adam.inputs.input_findings`, scope ``programs``) as the SDTM checks.
    """
    from adamforge.adam.inputs import input_findings
    from adamforge.adam.spec import load_spec

    spec = load_spec(spec_dir)
    return [f for f in input_findings(sdtm, spec) if f.severity == "ERROR"]


def validate_adam(adam: Mapping[str, pd.DataFrame], spec, *, labels=None):
    """Spec-generated expectations (GX) and conformance rules; returns ``(findings, seconds)``."""
    run = validate_adam_run(adam, spec, labels=labels)
    return run.findings, run.seconds


def validate_adam_run(adam: Mapping[str, pd.DataFrame], spec, *, labels=None):
    """Expectations and conformance as one :class:`~.rules.RuleRun` (findings, wall and CPU seconds)."""
    from .conformance import ConformanceOptions, check_conformance
    from .expectations import build_checks, run_expectations
    from .rules import RuleRun, release_memory

    checks = build_checks(spec, datasets=list(adam))
    gx_run = run_expectations(adam, checks, keys={n: d.keys for n, d in spec.datasets.items()})
    release_memory()  # the expectations' integer codes: conformance starts from the data alone
    conf = check_conformance(adam, options=ConformanceOptions(spec=spec, labels=labels, require_all_datasets=True))
    return RuleRun(gx_run.findings + conf.findings, {**gx_run.seconds, **conf.seconds}, {**gx_run.cpu, **conf.cpu})


def all_rules(spec=None):
    """Every registered rule (SDTM, the spec's input rules, conformance) plus the expectation kinds, by id."""
    from .conformance import RULES as CONF
    from .rules import Rule
    from .sdtm_checks import registry

    SDTM = registry(spec)

    gx = {
        "ADAM-VAR-001": ("ERROR", "Required spec variables exist (GX)"),
        "ADAM-VAR-002": ("WARNING", "Other spec variables exist (GX)"),
        "ADAM-NULL-001": ("ERROR", "Required variables are populated (GX)"),
        "ADAM-KEY-001": ("ERROR", "Dataset keys of the spec are unique (GX)"),
        "ADAM-CT-001": ("ERROR", "Values are in their codelist (GX)"),
        "ADAM-RANGE-001": ("ERROR", "AVAL/BASE within the parameter's range (GX)"),
        "ADAM-GX-000": ("ERROR", "An expectation could not run"),
    }
    out = {**SDTM, **CONF}
    out.update({rid: Rule(rid, sev, desc, lambda *a: []) for rid, (sev, desc) in gx.items()})
    return out


def _policy_exit(findings: list[Finding], policy: str, ctx, rules=None) -> int:
    from .report import sort_findings, terminal_summary

    counts = count_by_severity(findings)
    errors = [f for f in sort_findings(findings) if f.severity == "ERROR"]
    for f in errors[:20]:
        (ctx.log.error if policy == "submission" else ctx.log.warning)(f.line().split(": ", 1)[1])
    if len(errors) > 20:
        ctx.log.note(f"{len(errors) - 20} more ERROR-level findings in {ctx.out / 'validation' / 'report.html'}.")
    for line in terminal_summary(findings, rules=rules or all_rules(), max_lines=0).splitlines():
        ctx.log.info(line)
    if counts["ERROR"] and policy == "submission":
        ctx.log.error(
            f"Validation failed: {counts['ERROR']} ERROR-level finding(s) (policy submission); "
            f"see {ctx.out / 'validation' / 'report.html'}."
        )
        return EXIT_FAILED
    if counts["ERROR"]:
        ctx.log.warning(f"{counts['ERROR']} ERROR-level finding(s) reported, not failing (policy dev).")
    return EXIT_OK


#: the SDTM checks of this process, by :func:`_sdtm_key`: the ADaM gate of ``adamforge run``
#: reports the SDTM gate's findings again instead of reading the same files twice
_SDTM_CHECKED: dict[tuple, tuple[list[Finding], list[tuple[str, int, int]]]] = {}


def _sdtm_key(ctx, encoding) -> tuple | None:
    """What the SDTM checks depend on: every file of the SDTM folder and of the spec, by path,
    inode, size and modification time (as :func:`adamforge.io.sha256_file` keys its digests),
    and the encoding. None when a file cannot be listed (then nothing is reused)."""
    import os

    def files(folder: Path) -> tuple:
        folder = Path(folder)
        paths = [folder] if folder.is_file() else sorted(p for p in folder.iterdir() if p.is_file())
        out = []
        for p in paths:
            st = os.stat(p)
            out.append((str(p.resolve()), st.st_ino, st.st_size, st.st_mtime_ns))
        return tuple(out)

    try:
        return (files(ctx.sdtm), files(ctx.spec), encoding)
    except OSError:
        return None


def _validate(ctx, *, scope: str, policy: str) -> int:
    from adamforge.sdtm_io import read_sdtm

    from .report import write_report
    from .rules import release_memory

    if policy not in POLICIES:
        raise UsageError(f"--policy must be one of {', '.join(POLICIES)}, not {policy!r}")
    findings: list[Finding] = []
    inputs: list[tuple[str, int, int]] = []
    adam_dir = ctx.out / "adam"
    adam_files = sorted(adam_dir.glob("*.parquet")) if adam_dir.is_dir() else []
    did = []
    spec = None
    if scope in ("all", "sdtm"):
        if not ctx.sdtm.is_dir():
            raise UsageError(f"SDTM folder {str(ctx.sdtm)!r} does not exist (run 'adamforge simulate' or pass --sdtm)")
        from adamforge.adam.spec import load_spec
        from adamforge.readers import domain_files

        from .sdtm_checks import check_sdtm_by_domain, columns_read

        spec = load_spec(ctx.spec)  # its programs and inputs section say what the input must hold
        encoding = getattr(ctx, "encoding", None)
        key = _sdtm_key(ctx, encoding)
        if key in _SDTM_CHECKED:  # `adamforge run`: the SDTM gate checked these very files
            sdtm_findings, shapes = _SDTM_CHECKED[key]
            ctx.log.note("SDTM input unchanged since the SDTM gate of this run: its findings are reported again.")
        else:
            read_sdtm(ctx.sdtm, [], log=ctx.log, encoding=encoding)  # the folder and its manifest, nothing read yet
            # one domain at a time (read, checked, released): the x100 study's 10-million-record QS
            # is never held beside the other domains
            sdtm_run, shapes = check_sdtm_by_domain(
                lambda d: read_sdtm_domain(
                    ctx.sdtm,
                    d,
                    lambda names, numeric: columns_read(spec, d, names, numeric),
                    log=ctx.log,
                    encoding=encoding,
                ),
                sorted(domain_files(ctx.sdtm)),
                spec,
            )
            sdtm_findings = sdtm_run.findings
            _SDTM_CHECKED.clear()
            if key is not None:
                _SDTM_CHECKED[key] = (list(sdtm_findings), shapes)
        findings += sdtm_findings
        inputs += [(f"SDTM.{n}", rows, cols) for n, rows, cols in shapes]
        did.append(f"SDTM ({len(shapes)} domains)")
    if scope == "adam" or (scope == "all" and adam_files):
        if not adam_files:
            raise UsageError(f"no ADaM datasets (*.parquet) in {str(adam_dir)!r} (run 'adamforge derive' first)")
        from adamforge.adam.spec import load_spec

        spec = spec if spec is not None else load_spec(ctx.spec)
        adam, labels = read_adam(adam_dir)
        release_memory()  # the Parquet reader's buffers
        f, _ = validate_adam(adam, spec, labels=labels)
        findings += f
        inputs += [(f"ADAM.{n}", len(df), df.shape[1]) for n, df in sorted(adam.items())]
        did.append(f"ADaM ({', '.join(sorted(adam))})")
    elif scope == "all":
        ctx.log.note(f"No ADaM datasets in {adam_dir}: only the SDTM input was validated.")
    rules = all_rules(spec)
    paths = write_report(
        findings, ctx.out / "validation", rules=rules, inputs=inputs, policy=policy, notice=ctx.data_notice
    )
    ctx.log.note(f"Validated {' and '.join(did)}; report {paths['report']}, findings {paths['findings']}.")
    return _policy_exit(findings, policy, ctx, rules)


def run(args, ctx) -> int:
    """Run the step: validate, write the report, return 1 on ERROR findings under the submission policy."""
    return _validate(ctx, scope=getattr(args, "validate_scope", "all"), policy=getattr(ctx, "policy", DEFAULT_POLICY))


def validate_sdtm_gate(ctx, *, policy: str = "submission") -> int:
    """For ``adamforge run`` before derive: validate the SDTM input only; the exit code the policy gives."""
    return _validate(ctx, scope="sdtm", policy=policy)


def validate_adam_gate(ctx, *, policy: str = "submission") -> int:
    """For ``adamforge run`` before the deliverables: validate SDTM and ADaM; the exit code the policy gives."""
    return _validate(ctx, scope="all", policy=policy)
