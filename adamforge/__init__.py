"""adamforge: spec-driven CDISC ADaM datasets, validation, TLFs, submission files and QC.

The reference study shipped with the package is *synthetic*: simulated patients calibrated to
published summary statistics of a pooled analysis of two phase 3 trials. It is not trial data.
"""

__version__ = "0.1.0"

SYNTHETIC_DATA_NOTICE = (
    "Synthetic data: simulated patients calibrated to published summary statistics "
    "(TRuE-AD1/TRuE-AD2 pooled analysis); not the trials' patient data."
)

__all__ = ["__version__", "SYNTHETIC_DATA_NOTICE"]
