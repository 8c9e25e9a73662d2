"""``adamforge compare BASE COMPARE``: PROC COMPARE for XPT, Parquet, CSV and Dataset-JSON.

Prints the report on the terminal and writes ``<out>/compare/<name>/`` (report.txt,
summary.json, differences.csv/.parquet, and report.html / report.docx on request). Exit code 0
when nothing differs, 4 (:data:`~adamforge.errors.EXIT_DIFFERENCES`) when the PROC COMPARE return
code is not 0, 1 on bad data (e.g. duplicated IDs), 2 on a bad command line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from adamforge.errors import EXIT_DIFFERENCES, EXIT_OK
from adamforge.io import safe_child, staged_dir

HELP = "compare two datasets, PROC COMPARE style"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``adamforge compare`` (not chained by ``run``)."""
    parser.add_argument("base", metavar="BASE", help="base data set (.xpt, .parquet, .csv, .json Dataset-JSON)")
    parser.add_argument("compare", metavar="COMPARE", help="comparison data set (same formats)")
    parser.add_argument(
        "--id",
        nargs="+",
        default=None,
        metavar="VAR",
        help="ID variables matching observations (space or comma separated); default: match by observation number",
    )
    parser.add_argument(
        "--var",
        nargs="+",
        default=None,
        metavar="VAR",
        help="compare only these variables (PROC COMPARE's VAR statement)",
    )
    parser.add_argument(
        "--method",
        choices=["exact", "absolute", "relative", "percent"],
        default=None,
        help="numeric equality method (default EXACT, or RELATIVE when --criterion is given)",
    )
    parser.add_argument(
        "--criterion",
        type=float,
        default=None,
        metavar="X",
        help="tolerance for the method (default 0.00001; negative: |X| machine epsilons)",
    )
    parser.add_argument("--html", action="store_true", help="also write report.html")
    parser.add_argument("--docx", action="store_true", help="also write report.docx")
    parser.add_argument(
        "--max-print",
        type=int,
        default=50,
        metavar="N",
        help="listed unequal values per variable on the terminal (default 50; the data file has all)",
    )
    parser.add_argument(
        "--name",
        default=None,
        help="sub-folder of <out>/compare/ for the report (default: the BASE file name without extension)",
    )
    parser.add_argument(
        "--base-encoding",
        default=None,
        metavar="ENC",
        help="text encoding of the BASE file (XPT, CSV); default: --encoding, else UTF-8",
    )
    parser.add_argument(
        "--compare-encoding",
        default=None,
        metavar="ENC",
        help="text encoding of the COMPARE file (XPT, CSV); default: --encoding, else UTF-8",
    )


def run(args, ctx) -> int:
    """Compare, print, write the report folder; return 0 / 4."""
    from adamforge.readers import check_encoding

    from . import compare as cmp
    from . import compare_report as rep

    both = getattr(args, "encoding", None)
    base_enc = check_encoding(args.base_encoding, "--base-encoding") or both
    comp_enc = check_encoding(args.compare_encoding, "--compare-encoding") or both
    name = args.name or Path(args.base).stem
    dest = safe_child(ctx.out / "compare", name, what="--name" if args.name else "report name (from BASE)")
    ids = cmp.split_id_option(args.id)
    variables = cmp.split_id_option(args.var) if args.var else None
    res = cmp.compare_datasets(
        args.base,
        args.compare,
        id_vars=ids or None,
        method=args.method,
        criterion=args.criterion,
        variables=variables,
        base_encoding=base_enc,
        compare_encoding=comp_enc,
    )
    ctx.log.input_file(args.base, role="Base")
    ctx.log.input_file(args.compare, role="Compare")
    report = rep.render_text(res)  # report.txt: the listing capped as by default
    with staged_dir(dest) as stage:
        rep.write_outputs(res, stage, html=args.html, docx=args.docx, text=report)
    if args.max_print == rep.MAX_PRINT_PER_VARIABLE:
        text = report
    else:
        text = rep.render_text(res, max_per_variable=args.max_print)
    if not ctx.quiet:
        sys.stdout.write(text)
    ctx.log.note(
        f"COMPARE return code {res.return_code}: "
        + ("; ".join(m for _, m in res.reasons) if res.reasons else "no differences")
    )
    ctx.log.note(f"Comparison report written to {dest}/")
    if res.equal:
        return EXIT_OK
    ctx.log.warning(
        f"{res.base.source} and {res.compare.source} differ (return code {res.return_code}); "
        f"{res.n_unequal_values} unequal value(s)."
    )
    return EXIT_DIFFERENCES
