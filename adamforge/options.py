"""Command-line options of the steps whose modules load pandas, and the one strictness policy.

Building the parser (``adamforge --help``, ``adamforge <step> --help``) imports this module, never
the steps' own modules: it must stay free of pandas, numpy and the rest (a test checks that
building the parser imports no pandas). The steps read their options from ``args`` as before.

One policy, ``--policy dev|submission`` (default :data:`DEFAULT_POLICY`), applies to every check
of a run alike: the spec cross-check, the SDTM input check, finalisation of the derived datasets
and validation (docs/cli.md, "One policy"). ``--spec-policy`` is its deprecated alias.
"""

from __future__ import annotations

import argparse

#: the strictness policies: ``submission`` stops on any problem, ``dev`` reports problems as warnings
POLICIES = ("submission", "dev")
#: the default policy of every command: a run that passes is fit to hand to a reviewer
DEFAULT_POLICY = "submission"


def add_policy(parser: argparse.ArgumentParser) -> None:
    """``--policy`` and its deprecated alias ``--spec-policy`` (resolved by :func:`resolve_policy`)."""
    parser.add_argument(
        "--policy",
        choices=POLICIES,
        default=None,
        help="submission (default): any problem found by the spec check, the SDTM input check, "
        "finalisation or validation (an ERROR-level finding) stops the step; "
        "dev: they are reported as warnings, to push a spec in progress through",
    )
    parser.add_argument("--spec-policy", choices=POLICIES, default=None, help=argparse.SUPPRESS)


def resolve_policy(args: argparse.Namespace) -> tuple[str, str | None]:
    """The policy of the command line and a deprecation warning when ``--spec-policy`` was used.

    Raises ``ValueError`` when ``--policy`` and ``--spec-policy`` disagree.
    """
    policy, alias = getattr(args, "policy", None), getattr(args, "spec_policy", None)
    if alias is None:
        return policy or DEFAULT_POLICY, None
    if policy is not None and policy != alias:
        raise ValueError(f"--policy {policy} and --spec-policy {alias} disagree; give --policy only")
    return alias, f"--spec-policy is deprecated and will be removed: use --policy {alias} (same meaning)"


def add_derive_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``adamforge derive``: none of its own (``--policy`` is a common option)."""


def add_validate_arguments(parser: argparse.ArgumentParser) -> None:
    """``--validate-scope``."""
    g = parser.add_argument_group("validate options")
    g.add_argument(
        "--validate-scope",
        choices=("all", "sdtm", "adam"),
        default="all",
        help="what to validate: all (default: SDTM, and the ADaM when out/adam/*.parquet exist), sdtm, adam",
    )


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the export step (prefixed: they are also options of ``adamforge run``)."""
    g = parser.add_argument_group("export options")
    g.add_argument(
        "--export-datasets",
        default=None,
        metavar="NAMES",
        help="comma-separated datasets to export (default: every spec dataset with a <out>/adam/<name>.parquet file)",
    )
    g.add_argument("--export-no-json", action="store_true", help="do not write Dataset-JSON files")
    g.add_argument(
        "--export-standard",
        default="ADaMIG:1.3",
        metavar="NAME:VERSION",
        help="the define.xml standard of the datasets (default ADaMIG:1.3)",
    )


def add_tlf_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the tlf step (prefixed ``--tlf-`` so that they never clash in ``adamforge run``)."""
    g = parser.add_argument_group("tlf options")
    g.add_argument(
        "--tlf-spec", default=None, metavar="FILE", help="TLF spec YAML (default: tlf.yaml of the spec folder)"
    )
    g.add_argument(
        "--tlf-template",
        default=None,
        metavar="DOCX",
        help="Word template (docxtpl) to render with (default: the packaged tlf.docx)",
    )
    g.add_argument(
        "--tlf-adam",
        default=None,
        metavar="DIR",
        help="folder with the ADaM Parquet files the TLF spec reads (default: <out>/adam)",
    )
    g.add_argument(
        "--tlf-data-cut",
        default=None,
        metavar="TEXT",
        help="data cut text for the footers (default: the spec's data_cut)",
    )
