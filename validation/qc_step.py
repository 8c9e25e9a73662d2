"""``adamforge qc``: the study's double-programming QC and its evidence pack in ``<out>/qc/``.

1. The independent QC program (:mod:`adamforge.validation.qc_program`) derives QC ADSL flags and
   the Week 8 responder records from the SDTM.
2. Each is compared with production (``<out>/adam/adsl.parquet``, ``<out>/adam/adeff.parquet``)
   by keys with the PROC COMPARE engine, on the variables QC derived.
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

from adamforge.errors import EXIT_DIFFERENCES, EXIT_OK, AdamforgeError, UsageError

HELP = "run the study's double-programming QC and write the evidence pack"

ADSL_ID = ["USUBJID"]
ADEFF_ID = ["USUBJID", "PARAMCD"]


def add_arguments(parser) -> None:
    """Options of ``adamforge qc`` (prefixed: they are also options of ``adamforge run``)."""
    parser.add_argument("--qc-html", action="store_true", help="qc: also write HTML comparison reports")


def _git_commit() -> str:
    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return "not available"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=10)
        return head.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "not available"


def _excluded_sites(spec: Path) -> list[str]:
    import yaml

    from .qc_program import EXCLUDED_SITES

    f = spec / "adam_analysis.yaml"
    if not f.is_file():
        return list(EXCLUDED_SITES)
    doc = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
    return [str(s) for s in (doc.get("parameters", {}) or {}).get("excluded_sites", EXCLUDED_SITES)]


def _comparison_entry(name, kind, base, compare, rc, meanings, passed, detail, report):
    return {"name": name, "kind": kind, "base": base, "compare": compare, "return_code": rc,
            "return_code_meanings": meanings, "result": "PASS" if passed else "FAIL", "detail": detail,
            "report": report}


def run(args, ctx) -> int:
    """Run the QC, write ``<out>/qc/``; 0 when every comparison passes, 4 otherwise."""
    import pandas as pd

    from adamforge.clock import run_timestamp_iso
    from adamforge.io import sha256_file, staged_dir, write_text_atomic
    from adamforge.runlog import package_versions
    from adamforge.sdtm_io import read_sdtm

    from . import compare as cmp
    from . import compare_ard as ca
    from . import compare_report as rep
    from . import qc_program as qp

    adam = ctx.out / "adam"
    prod = {"ADSL": adam / "adsl.parquet", "ADEFF": adam / "adeff.parquet"}
    missing = [str(p) for p in prod.values() if not p.is_file()]
    if missing:
        raise UsageError("qc needs the production ADaM datasets (run `adamforge derive` first): missing "
                         + ", ".join(missing))
    sdtm = read_sdtm(ctx.sdtm, log=ctx.log)
    sites = _excluded_sites(ctx.spec)
    qc = qp.qc_datasets(sdtm, excluded_sites=sites)
    ctx.log.dataset("QC", "ADSL", len(qc["ADSL"]), qc["ADSL"].shape[1])
    ctx.log.dataset("QC", "ADEFF", len(qc["ADEFF"]), qc["ADEFF"].shape[1])

    comparisons = []
    results = {}
    # -- datasets ------------------------------------------------------------------------------
    adsl_df, adsl_info = cmp.read_dataset(prod["ADSL"], role="BASE")
    adeff_df, adeff_info = cmp.read_dataset(prod["ADEFF"], role="BASE")
    adeff_w8 = adeff_df[adeff_df["PARAMCD"].isin(qp.RESPONDER_PARAMS) & (adeff_df["AVISIT"] == "Week 8")]
    plan = [("ADSL", adsl_df, adsl_info, qc["ADSL"], ADSL_ID),
            ("ADEFF", adeff_w8, adeff_info, qc["ADEFF"], ADEFF_ID)]
    for name, pdf, pinfo, qdf, ids in plan:
        qinfo = cmp.info_from_frame(qdf, role="COMPARE", source=f"QC program ({qp.__name__})", name=name,
                                    file_format="DataFrame")
        pinfo = _restrict_info(pinfo, pdf, list(qdf.columns))
        desc = f"{pinfo.source}" + (" [PARAMCD in responders, AVISIT = Week 8]" if name == "ADEFF" else "")
        try:
            res = cmp.compare_frames(pdf, qdf, id_vars=ids, base_info=pinfo, compare_info=qinfo,
                                     variables=list(qdf.columns))
        except AdamforgeError as exc:
            comparisons.append(_comparison_entry(name.lower(), "dataset", desc, qinfo.source, 32768,
                                                 ["Fatal error: comparison not done", str(exc)], False, str(exc), ""))
            ctx.log.error(f"QC {name}: comparison not done: {exc}")
            continue
        results[name.lower()] = res
        comparisons.append(_comparison_entry(
            name.lower(), "dataset", desc, qinfo.source, res.return_code, [m for _, m in res.reasons], res.equal,
            f"{res.observations.n_common} observations matched by {', '.join(ids)}; "
            f"{len(res.values)} variables compared; {res.n_unequal_values} unequal values",
            f"{name.lower()}/report.txt"))

    # -- ARD -----------------------------------------------------------------------------------
    ard_path = ctx.out / "tlf" / "ard.json"
    ard_res = None
    qc_ard = None
    if ard_path.is_file():
        import yaml

        tlf_spec = yaml.safe_load((ctx.spec / "tlf.yaml").read_text(encoding="utf-8"))
        qc_ard = qp.qc_response_ard(qc["ADSL"], qc["ADEFF"], tlf_spec)
        prod_ard = ca.read_ard(ard_path)
        scope = set(zip(qc_ard["output_id"], qc_ard["statistic"]))
        in_scope = [(o, s) in scope for o, s in zip(prod_ard["output_id"], prod_ard["statistic"])]
        prod_ard = prod_ard[in_scope][list(qc_ard.columns)].reset_index(drop=True)
        try:
            ard_res = ca.compare_ard(prod_ard, qc_ard)
            comparisons.append(_comparison_entry(
                "ard", "results", f"{ard_path} [response outputs: BIGN, n, N, pct]", "QC counts (qc_response_ard)",
                ard_res.return_code, [m for _, m in ard_res.reasons], ard_res.equal,
                f"{ard_res.n_common} statistics matched; {len(ard_res.differences)} unequal",
                "ard/report.txt"))
        except AdamforgeError as exc:
            comparisons.append(_comparison_entry("ard", "results", str(ard_path), "QC counts", 32768,
                                                 ["Fatal error: comparison not done", str(exc)], False, str(exc), ""))
    else:
        ctx.log.note(f"QC: {ard_path} not found (run `adamforge tlf` first); ARD comparison skipped.")

    # -- evidence ------------------------------------------------------------------------------
    inputs = []
    for p in sorted(Path(ctx.sdtm).glob("*")):
        if p.is_file() and p.suffix.lower() in (".xpt", ".parquet", ".json"):
            inputs.append({"role": "SDTM", "path": str(p), "sha256": sha256_file(p)})
    for name, p in prod.items():
        inputs.append({"role": f"production {name}", "path": str(p), "sha256": sha256_file(p)})
    if ard_path.is_file():
        inputs.append({"role": "production ARD", "path": str(ard_path), "sha256": sha256_file(ard_path)})
    specs = [{"path": str(p), "sha256": sha256_file(p)} for p in sorted(Path(ctx.spec).glob("*"))
             if p.is_file() and p.suffix.lower() in (".yaml", ".yml", ".xlsx", ".json")]
    programs = [{"path": str(Path(m.__file__).name), "sha256": sha256_file(m.__file__)} for m in (qp, cmp, ca)]
    passed = all(c["result"] == "PASS" for c in comparisons)
    evidence = {
        "title": "adamforge double-programming QC evidence pack",
        "timestamp_utc": run_timestamp_iso(),
        "git_commit": _git_commit(),
        "package_versions": package_versions(),
        "excluded_sites": sites,
        "inputs": inputs,
        "spec_files": specs,
        "qc_programs": programs,
        "comparisons": comparisons,
        "ard_compared": ard_res is not None,
        "overall": "PASS" if passed else "FAIL",
        "data_notice": ctx.data_notice,
    }
    with staged_dir(ctx.out / "qc") as stage:
        for name, res in results.items():
            rep.write_outputs(res, stage / name, html=args.qc_html)
        if ard_res is not None:
            (stage / "ard").mkdir()
            write_text_atomic(stage / "ard" / "report.txt", ca.render_ard_text(ard_res, title="ARD comparison: production vs QC"))
            ard_res.differences.to_csv(stage / "ard" / "differences.csv", index=False, lineterminator="\n")
            qc_ard.to_csv(stage / "ard" / "qc_ard.csv", index=False, lineterminator="\n")
        qc["ADSL"].to_parquet(stage / "qc_adsl.parquet", index=False)
        qc["ADEFF"].to_parquet(stage / "qc_adeff.parquet", index=False)
        write_text_atomic(stage / "evidence.json", json.dumps(evidence, indent=2) + "\n")
        write_text_atomic(stage / "evidence.txt", _evidence_text(evidence))
    for c in comparisons:
        line = f"QC {c['name']}: {c['result']} (return code {c['return_code']}): {c['detail']}"
        (ctx.log.note if c["result"] == "PASS" else ctx.log.warning)(line)
    ctx.log.info(f"QC overall: {evidence['overall']}; evidence pack in {ctx.out / 'qc'}/")
    return EXIT_OK if passed else EXIT_DIFFERENCES


def _restrict_info(info, df, columns):
    """The production metadata of the variables QC derived (others are not double-programmed)."""
    import dataclasses

    keep = tuple(v for v in info.variables if v.name in set(columns))
    return dataclasses.replace(info, variables=keep, nobs=len(df))


def _evidence_text(ev: dict) -> str:
    L = [ev["title"], "", f"Time stamp (UTC): {ev['timestamp_utc']}", f"Git commit: {ev['git_commit']}",
         "Package versions: " + ", ".join(f"{k} {v}" for k, v in ev["package_versions"].items()), "",
         f"Overall result: {ev['overall']}", "", "Comparisons:"]
    for c in ev["comparisons"]:
        L.append(f"  {c['name']:<6} {c['result']:<4}  return code {c['return_code']:>5}  {c['detail']}")
        L.append(f"         BASE    {c['base']}")
        L.append(f"         COMPARE {c['compare']}")
        for m in c["return_code_meanings"]:
            L.append(f"         - {m}")
    if not ev["ard_compared"]:
        L.append("  ard    not run: no production ARD (out/tlf/ard.json)")
    L += ["", "Inputs (SHA-256):"]
    L += [f"  {i['sha256']}  {i['role']}: {i['path']}" for i in ev["inputs"]]
    L += ["", "Spec files (SHA-256):"]
    L += [f"  {s['sha256']}  {s['path']}" for s in ev["spec_files"]]
    L += ["", "QC programs (SHA-256):"]
    L += [f"  {s['sha256']}  {s['path']}" for s in ev["qc_programs"]]
    if ev.get("data_notice"):
        L += ["", ev["data_notice"]]
    return "\n".join(L) + "\n"
