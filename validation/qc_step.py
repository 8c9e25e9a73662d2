"""``adamforge qc``: the study's double-programming QC and its evidence pack in ``<out>/qc/``.

The study's QC spec (``qc.yaml`` of the spec folder, the QC programmer's own) says what QC
derives and what is compared. A study without one: a NOTE, exit 0, and an evidence pack saying
"no QC spec" (overall NOT RUN, never PASS).

1. The independent QC program (:mod:`adamforge.validation.qc_program`) derives the QC datasets
   (subject flags, responder records at the visit) from the SDTM and the QC spec.
2. Each dataset of the QC spec's ``compare`` list is compared with production
   (``<out>/adam/<name>.parquet``) by its ``id`` variables with the PROC COMPARE engine, on the
   variables QC derived.
3. When ``<out>/tlf/ard.json`` exists, the QC counts of the response tables (BIGN, n, N, pct)
   are compared with production's ARD statistic by statistic (a NOTE says so when it is absent).
4. ``<out>/qc/`` receives each comparison's report and difference table, the QC datasets,
   ``evidence.json`` / ``evidence.txt`` (SHA-256 of every input and spec file, package versions,
   git commit when available, the run time stamp, each comparison's return code, and the overall
   PASS/FAIL). Exit 0 on PASS, 4 on FAIL.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from adamforge.errors import EXIT_DIFFERENCES, EXIT_OK, AdamforgeError, DataError, UsageError

HELP = "run the study's double-programming QC and write the evidence pack"

QC_SPEC = "qc.yaml"


def add_arguments(parser) -> None:
    """Options of ``adamforge qc`` (prefixed: they are also options of ``adamforge run``)."""
    parser.add_argument("--qc-html", action="store_true", help="qc: also write HTML comparison reports")


#: git run read-only: no optional index refresh (.git/index.lock), no fsmonitor hook, no untracked cache
_GIT_READ_ONLY = ("git", "--no-optional-locks", "-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false")


def _git_commit(folder: Path | None = None) -> str:
    """The commit of the package's source tree, "(with uncommitted changes)" when it has some.

    git runs read-only (``--no-optional-locks``, ``GIT_OPTIONAL_LOCKS=0``): ``git status`` would
    otherwise refresh ``.git/index`` through ``.git/index.lock`` in the package's folder, a write
    outside ``--out``.
    """
    import os

    here = Path(folder) if folder is not None else Path(__file__).resolve().parent
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    try:
        head = subprocess.run(
            [*_GIT_READ_ONLY, "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10, env=env
        )
        if head.returncode != 0:
            return "not available"
        dirty = subprocess.run(
            [*_GIT_READ_ONLY, "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=10,
            env=env,
        )
        return head.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "not available"


def qc_spec_path(ctx) -> Path:
    """The study's QC spec: ``qc.yaml`` of the spec folder (beside a spec workbook)."""
    folder = Path(getattr(ctx, "spec_dir", ctx.spec))
    if folder.is_file():
        folder = folder.parent
    return folder / QC_SPEC


def _study_data_dir(ctx, spec_path: Path) -> Path:
    """Where the QC spec's files (``against``) are resolved: the study's packaged data folder
    (its spec's ``study.sdtm``), else the QC spec's folder."""
    src = getattr(ctx, "study_sdtm", None)
    return src.folder if src is not None and src.folder is not None else spec_path.parent


def _production_scope(df, entry: dict, qdf):
    """Production records in the scope of one comparison: ``where`` equality filters and, with
    ``paramcd: qc``, the parameters QC derived. Returns (records, description)."""
    import numpy as np

    sel = np.ones(len(df), dtype=bool)
    parts = []
    if entry.get("paramcd") == "qc" and "PARAMCD" in df.columns and "PARAMCD" in qdf.columns:
        sel &= df["PARAMCD"].isin(set(qdf["PARAMCD"].unique())).to_numpy()
        parts.append("PARAMCD in QC")
    for var, val in (entry.get("where") or {}).items():
        sel &= (df[var] == val).to_numpy() if var in df.columns else np.zeros(len(df), dtype=bool)
        parts.append(f"{var} = {val}")
    return df[sel], (f" [{', '.join(parts)}]" if parts else "")


def _read_sdtm(ctx, reads: dict):
    """The SDTM the QC program reads (:func:`.qc_program.qc_reads`): its domains, each with only
    the variables the program reads, one at a time (bounded memory on a big study).

    Every file is checked as :func:`adamforge.sdtm_io.read_sdtm` checks it
    (:func:`.step.read_sdtm_domain`); a domain the program does not read is checked too.
    """
    from adamforge.readers import domain_files
    from adamforge.sdtm_io import read_manifest

    from .rules import release_memory
    from .step import read_sdtm_domain

    folder = Path(ctx.sdtm)
    if not folder.is_dir():
        raise UsageError(f"SDTM folder {str(folder)!r} does not exist")
    read_manifest(folder)  # a malformed manifest is an error even when no domain is read
    out = {}
    for d in sorted(domain_files(folder)):
        df, _ = read_sdtm_domain(
            folder,
            d,
            lambda names, numeric, d=d: reads.get(d) if d in reads else False,
            log=ctx.log,
            encoding=getattr(ctx, "encoding", None),
        )
        if df is not None:
            out[d] = df
        release_memory()
    return out


def _comparison_entry(name, kind, base, compare, rc, meanings, passed, detail, report):
    return {
        "name": name,
        "kind": kind,
        "base": base,
        "compare": compare,
        "return_code": rc,
        "return_code_meanings": meanings,
        "result": "PASS" if passed else "FAIL",
        "detail": detail,
        "report": report,
    }


def _fatal_entry(name, kind, base, compare, exc: Exception):
    """The entry of a comparison that could not be done (return code 32768, SAS's fatal error)."""
    return _comparison_entry(
        name, kind, base, compare, 32768, ["Fatal error: comparison not done", str(exc)], False, str(exc), ""
    )


def run(args, ctx) -> int:
    """Run the QC, write ``<out>/qc/``; 0 when every comparison passes, 4 otherwise."""

    from adamforge.clock import run_timestamp_iso
    from adamforge.io import sha256_file, staged_dir, write_text_atomic
    from adamforge.runlog import package_versions

    from . import compare as cmp
    from . import compare_ard as ca
    from . import compare_report as rep
    from . import qc_against as qa
    from . import qc_program as qp
    from .rules import release_memory

    spec_path = qc_spec_path(ctx)
    if not spec_path.is_file():
        return _no_qc_spec(ctx, spec_path)
    ctx.log.input_file(spec_path, "QC spec")
    import yaml

    try:
        qc_spec = qp.load_qc_spec(spec_path)
        plan_entries = [dict(e) for e in qc_spec["compare"]]
        for e in plan_entries:
            e["dataset"] = str(e["dataset"]).upper()
            e["id"] = [str(v) for v in e["id"]]
            fmt = str(e.get("production") or "parquet").lower()
            if fmt not in qa.PRODUCTION_FORMATS:
                raise ValueError(
                    f"compare {e['dataset']}: production must be one of "
                    f"{', '.join(qa.PRODUCTION_FORMATS)}, not {e.get('production')!r}"
                )
            e["production"] = fmt
    except (OSError, ValueError, KeyError, TypeError, AttributeError, yaml.YAMLError) as exc:
        raise DataError(f"QC spec {spec_path}: not readable as a QC spec ({type(exc).__name__}: {exc})") from None
    # entries with `against` compare production with a file the study ships (its validated
    # datasets); the others with the independent QC program's datasets
    program_entries = [e for e in plan_entries if not e.get("against")]
    against_entries = [e for e in plan_entries if e.get("against")]
    data_dir = _study_data_dir(ctx, spec_path)
    against_files = {e["dataset"]: qa.resolve_against(e, data_dir, spec_path=spec_path) for e in against_entries}
    explained_items = {e["dataset"]: qa.check_explained(e, spec_path) for e in against_entries}
    adam = ctx.out / "adam"
    prod = {
        e["dataset"]: adam / f"{e['dataset'].lower()}{qa.PRODUCTION_FORMATS[e['production']]}" for e in plan_entries
    }
    missing = [str(p) for p in prod.values() if not p.is_file()]
    if missing:
        raise UsageError(
            "qc needs the production ADaM datasets (run `adamforge derive` first"
            + (", and `adamforge export` for XPT" if any(e["production"] != "parquet" for e in plan_entries) else "")
            + "): missing "
            + ", ".join(missing)
        )
    qc = {}
    subject_name = responder_name = None
    ard_path = ctx.out / "tlf" / "ard.json"
    tlf_yaml = getattr(ctx, "spec_dir", ctx.spec) / "tlf.yaml"
    baseline = None
    if program_entries:
        sdtm = _read_sdtm(ctx, qp.qc_reads(qc_spec))
        qc = {k.upper(): v for k, v in qp.qc_datasets(sdtm, qc_spec).items()}
        if ard_path.is_file() and tlf_yaml.is_file() and (qc_spec.get("results") or {}).get("baseline"):
            # the results' baseline variables now, so that the SDTM is released before production is read
            baseline = qp.qc_baseline(sdtm, qc[str(qc_spec["subjects"]["dataset"]).upper()], qc_spec)
        del sdtm
        release_memory()
        for name, df in qc.items():
            ctx.log.dataset("QC", name, len(df), df.shape[1])
        absent = [e["dataset"] for e in program_entries if e["dataset"] not in qc]
        if absent:
            raise DataError(
                f"QC spec {spec_path}: compare lists {', '.join(absent)}, which the QC program does not "
                f"derive (it derives {', '.join(qc)})"
            )
        subject_name = str(qc_spec["subjects"]["dataset"]).upper()
        responder_name = str(qc_spec["responders"]["dataset"]).upper()

    comparisons = []
    results = {}
    # -- datasets ------------------------------------------------------------------------------
    for entry in program_entries:
        name, ids, qdf = entry["dataset"], entry["id"], qc[entry["dataset"]]
        full, pinfo = cmp.read_dataset(prod[name], role="BASE")
        pdf, scope = _production_scope(full, entry, qdf)
        del full  # only the records in scope are compared
        qinfo = cmp.info_from_frame(
            qdf, role="COMPARE", source=f"QC program ({qp.__name__})", name=name, file_format="DataFrame"
        )
        pinfo = _restrict_info(pinfo, pdf, list(qdf.columns))
        desc = f"{pinfo.source}{scope}"
        try:
            res = cmp.compare_frames(
                pdf, qdf, id_vars=ids, base_info=pinfo, compare_info=qinfo, variables=list(qdf.columns)
            )
        except AdamforgeError as exc:
            comparisons.append(_fatal_entry(name.lower(), "dataset", desc, qinfo.source, exc))
            ctx.log.error(f"QC {name}: comparison not done: {exc}")
            continue
        results[name.lower()] = res
        comparisons.append(
            _comparison_entry(
                name.lower(),
                "dataset",
                desc,
                qinfo.source,
                res.return_code,
                [m for _, m in res.reasons],
                res.equal,
                f"{res.observations.n_common} observations matched by {', '.join(ids)}; "
                f"{len(res.values)} variables compared; {res.n_unequal_values} unequal values",
                f"{name.lower()}/report.txt",
            )
        )
    explanations = {}
    for entry in against_entries:
        name, ids, apath = entry["dataset"], entry["id"], against_files[entry["dataset"]]
        against = entry["against"] if isinstance(entry["against"], dict) else {}
        pdf, pinfo = cmp.read_dataset(prod[name], role="BASE")
        adf, ainfo = cmp.read_dataset(apath, role="COMPARE", encoding=against.get("encoding"))
        desc = str(against.get("name") or apath)
        try:
            res = cmp.compare_frames(pdf, adf, id_vars=ids, base_info=pinfo, compare_info=ainfo)
        except AdamforgeError as exc:
            comparisons.append(_fatal_entry(name.lower(), "dataset", pinfo.source, desc, exc))
            ctx.log.error(f"QC {name}: comparison not done: {exc}")
            continue
        results[name.lower()] = res
        ex = qa.explain(res, explained_items[name])
        explanations[name.lower()] = ex
        c = _comparison_entry(
            name.lower(),
            "dataset",
            pinfo.source,
            f"{desc} ({apath})",
            res.return_code,
            [m for _, m in res.reasons],
            ex.result != qa.FAIL,
            f"{res.observations.n_common} observations matched by {', '.join(ids)}; {len(res.values)} variables "
            f"compared; {res.n_unequal_values} unequal values; {res.observations.n_base_only} + "
            f"{res.observations.n_compare_only} records in one side only; {len(res.variables.differences)} attribute "
            f"difference(s); {sum(e['count'] for e in ex.explained)} explained, {ex.n_unexplained} unexplained",
            f"{name.lower()}/report.txt",
        )
        c["result"] = ex.result
        c.update(
            attributes_not_compared=list(res.variables.not_compared),
            explained=ex.explained,
            unexplained=ex.unexplained,
            n_unexplained=ex.n_unexplained,
        )
        comparisons.append(c)
        for line in ex.unexplained[:20]:
            ctx.log.warning(f"QC {name}: unexplained: {line}")
        if ex.n_unexplained > 20:
            ctx.log.warning(f"QC {name}: ... and {ex.n_unexplained - 20} more unexplained (evidence.json)")

    # -- ARD -----------------------------------------------------------------------------------
    ard_res = None
    qc_ard = None
    ard_scope = None
    if ard_path.is_file() and subject_name is not None and not tlf_yaml.is_file():
        ctx.log.note(f"QC: no TLF spec ({tlf_yaml}) to read the response tables from; ARD comparison skipped.")
    elif ard_path.is_file() and subject_name is not None:
        from adamforge.yamlsafe import load_yaml

        assert responder_name is not None  # set with subject_name

        tlf_spec = load_yaml(tlf_yaml)
        try:
            ard_res, qc_ard, ard_scope = qp.qc_compare_results(
                None, qc[subject_name], qc[responder_name], tlf_spec, qc_spec, ca.read_ard(ard_path), baseline=baseline
            )
            comparisons.append(
                _comparison_entry(
                    "ard",
                    "results",
                    f"{ard_path} [{ard_scope['description']}]",
                    "QC results (qc_results_ard)",
                    ard_res.return_code,
                    [m for _, m in ard_res.reasons],
                    ard_res.equal,
                    f"{ard_res.n_common} statistics matched; {len(ard_res.differences)} unequal",
                    "ard/report.txt",
                )
                | {"kinds": [k.as_dict() for k in ard_res.summaries], "not_compared": ard_scope["not_compared"]}
            )
        except AdamforgeError as exc:
            comparisons.append(_fatal_entry("ard", "results", str(ard_path), "QC results", exc))
            ctx.log.error(f"QC ARD: comparison not done: {exc}")
    elif subject_name is None:
        ctx.log.note("QC: the QC spec has no QC program (subjects, responders); no results (ARD) comparison.")
    else:
        ctx.log.note(f"QC: {ard_path} not found (run `adamforge tlf` first); ARD comparison skipped.")

    # -- evidence ------------------------------------------------------------------------------
    inputs = []
    for p in sorted(Path(ctx.sdtm).glob("*")):
        if p.is_file() and p.suffix.lower() in (".xpt", ".parquet", ".json", ".csv"):
            inputs.append({"role": "SDTM", "path": str(p), "sha256": sha256_file(p)})
    for name, p in prod.items():
        inputs.append({"role": f"production {name}", "path": str(p), "sha256": sha256_file(p)})
    for name, p in against_files.items():
        inputs.append({"role": f"against {name}", "path": str(p), "sha256": sha256_file(p)})
    if ard_path.is_file() and subject_name is not None:
        inputs.append({"role": "production ARD", "path": str(ard_path), "sha256": sha256_file(ard_path)})
    spec_files = [Path(ctx.spec)] if Path(ctx.spec).is_file() else sorted(Path(ctx.spec).glob("*"))
    specs = [
        {"path": str(p), "sha256": sha256_file(p)}
        for p in spec_files
        if p.is_file() and p.suffix.lower() in (".yaml", ".yml", ".xlsx", ".json")
    ]
    programs = [
        {"path": str(Path(f).name), "sha256": sha256_file(f)}
        for m in ((qp, cmp, ca) if not against_entries else (qp, cmp, ca, qa))
        if (f := m.__file__) is not None  # modules read from files: always set
    ]
    verdicts = [c["result"] for c in comparisons]
    passed = qa.FAIL not in verdicts
    overall = qa.FAIL if not passed else qa.PASS_EXPLAINED if qa.PASS_EXPLAINED in verdicts else qa.PASS
    evidence = {
        "title": "adamforge double-programming QC evidence pack",
        "timestamp_utc": run_timestamp_iso(),
        "git_commit": _git_commit(),
        "package_versions": package_versions(),
        "qc_spec": {"path": str(spec_path), "sha256": sha256_file(spec_path)},
        "excluded_sites": [str(x) for x in (qc_spec.get("subjects") or {}).get("excluded_sites") or []],
        "inputs": inputs,
        "spec_files": specs,
        "qc_programs": programs,
        "comparisons": comparisons,
        "ard_compared": ard_res is not None,
        **(
            {"ard_not_run": "the QC spec has no QC program (subjects, responders) to count results from"}
            if subject_name is None
            else {}
        ),
        "overall": overall,
        "data_notice": ctx.data_notice,
    }
    with staged_dir(ctx.out / "qc") as stage:
        for name, res in results.items():
            rep.write_outputs(res, stage / name, html=args.qc_html)
            if name in explanations:
                ex = explanations[name]
                write_text_atomic(
                    stage / name / "explained.json",
                    json.dumps(
                        {"result": ex.result, "explained": ex.explained, "unexplained": ex.unexplained}, indent=2
                    )
                    + "\n",
                )
        if ard_res is not None:
            assert qc_ard is not None and ard_scope is not None  # set with ard_res
            (stage / "ard").mkdir()
            write_text_atomic(
                stage / "ard" / "report.txt",
                ca.render_ard_text(
                    ard_res,
                    title="ARD comparison: production vs QC",
                    excluded=[(x["statistic"], x["records"], x["why"]) for x in ard_scope["not_compared"]],
                ),
            )
            ard_res.differences.to_csv(stage / "ard" / "differences.csv", index=False, lineterminator="\n")
            qc_ard.to_csv(stage / "ard" / "qc_ard.csv", index=False, lineterminator="\n")
        for name, df in qc.items():
            df.to_parquet(stage / f"qc_{name.lower()}.parquet", index=False)
        write_text_atomic(stage / "evidence.json", json.dumps(evidence, indent=2) + "\n")
        write_text_atomic(stage / "evidence.txt", _evidence_text(evidence))
    for c in comparisons:
        line = f"QC {c['name']}: {c['result']} (return code {c['return_code']}): {c['detail']}"
        (ctx.log.note if c["result"] != qa.FAIL else ctx.log.warning)(line)
    ctx.log.info(f"QC overall: {evidence['overall']}; evidence pack in {ctx.out / 'qc'}/")
    return EXIT_OK if passed else EXIT_DIFFERENCES


def _no_qc_spec(ctx, spec_path: Path) -> int:
    """No QC spec: one NOTE, exit 0, an evidence pack saying "no QC spec" (overall NOT RUN)."""
    from adamforge.clock import run_timestamp_iso
    from adamforge.io import staged_dir, write_text_atomic
    from adamforge.runlog import package_versions

    ctx.log.note(
        f"QC: no QC spec ({spec_path} not found); nothing double-programmed. "
        f"Write the study's {QC_SPEC} (docs/qc.md) to run the QC."
    )
    evidence = {
        "title": "adamforge double-programming QC evidence pack",
        "timestamp_utc": run_timestamp_iso(),
        "git_commit": _git_commit(),
        "package_versions": package_versions(),
        "qc_spec": None,
        "inputs": [],
        "spec_files": [],
        "qc_programs": [],
        "comparisons": [],
        "ard_compared": False,
        "overall": "NOT RUN: no QC spec",
        "reason": f"no QC spec: {spec_path} not found",
        "data_notice": ctx.data_notice,
    }
    with staged_dir(ctx.out / "qc") as stage:
        write_text_atomic(stage / "evidence.json", json.dumps(evidence, indent=2) + "\n")
        write_text_atomic(stage / "evidence.txt", _evidence_text(evidence))
    return EXIT_OK


def _restrict_info(info, df, columns):
    """The production metadata of the variables QC derived (others are not double-programmed)."""
    import dataclasses

    keep = tuple(v for v in info.variables if v.name in set(columns))
    return dataclasses.replace(info, variables=keep, nobs=len(df))


def _g(v) -> str:
    return "-" if v is None else f"{v:.3g}"


def _evidence_text(ev: dict) -> str:
    L = [
        ev["title"],
        "",
        f"Time stamp (UTC): {ev['timestamp_utc']}",
        f"Git commit: {ev['git_commit']}",
        "Package versions: " + ", ".join(f"{k} {v}" for k, v in ev["package_versions"].items()),
        "",
        f"Overall result: {ev['overall']}",
        "",
        "Comparisons:",
    ]
    for c in ev["comparisons"]:
        L.append(f"  {c['name']:<6} {c['result']:<4}  return code {c['return_code']:>5}  {c['detail']}")
        L.append(f"         BASE    {c['base']}")
        L.append(f"         COMPARE {c['compare']}")
        for m in c["return_code_meanings"]:
            L.append(f"         - {m}")
        for k in c.get("kinds", []):
            L.append(
                f"         {k['kind']:<12} {k['n_compared']:>5} compared, {k['n_unequal']} unequal, largest "
                f"difference {_g(k['max_abs_diff'])} (relative {_g(k['max_rel_diff'])}); tolerance {k['tolerance']}"
            )
        for x in c.get("not_compared", []):
            L.append(f"         not compared: {x['statistic']} ({x['records']} records): {x['why']}")
        if c.get("attributes_not_compared"):
            L.append("         attributes not compared: " + "; ".join(c["attributes_not_compared"]))
        for e in c.get("explained") or []:
            L.append(f"         explained: {e['what']} ({e['kind']}): {e['reason']}")
            for r in e.get("records") or []:
                L.append(f"           {r}")
        for u in c.get("unexplained") or []:
            L.append(f"         UNEXPLAINED: {u}")
    if ev.get("reason"):
        L.append(f"  none: {ev['reason']}")
    elif not ev["ard_compared"]:
        L.append(f"  ard    not run: {ev.get('ard_not_run') or 'no production ARD (out/tlf/ard.json)'}")
    L += ["", "Inputs (SHA-256):"]
    L += [f"  {i['sha256']}  {i['role']}: {i['path']}" for i in ev["inputs"]]
    L += ["", "Spec files (SHA-256):"]
    L += [f"  {s['sha256']}  {s['path']}" for s in ev["spec_files"]]
    L += ["", "QC programs (SHA-256):"]
    L += [f"  {s['sha256']}  {s['path']}" for s in ev["qc_programs"]]
    if ev.get("data_notice"):
        L += ["", ev["data_notice"]]
    return "\n".join(L) + "\n"
