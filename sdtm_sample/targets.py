"""The published figures the simulated reference study is calibrated to (analysis plan, section 4).

Group names: ``VEH``, ``RUX075``, ``RUX15`` are the non-achievers of each arm, ``NA`` their total,
``ALL`` the whole efficacy-evaluable population, ``REST`` = ALL minus NA (derived, never published).
"""

from __future__ import annotations

#: the seed of the reference study (the default run)
DEFAULT_SEED = 20251

ARMS = ("VEH", "RUX075", "RUX15")
ARM_LABEL = {
    "VEH": "Vehicle cream BID",
    "RUX075": "Ruxolitinib cream 0.75% BID",
    "RUX15": "Ruxolitinib cream 1.5% BID",
}

STUDIES = {"INCB18424-303": "TRuE-AD1", "INCB18424-304": "TRuE-AD2"}

#: randomized per study and arm (631 + 618 = 1249; 250 / 500 / 499)
RANDOMIZED = {
    "INCB18424-303": {"VEH": 126, "RUX075": 253, "RUX15": 252},
    "INCB18424-304": {"VEH": 124, "RUX075": 247, "RUX15": 247},
}

#: sites closed for GCP non-compliance: every patient of theirs is not efficacy-evaluable
EXCLUDED_SITES = {"114": "INCB18424-303", "139": "INCB18424-303", "226": "INCB18424-304"}
#: their patients per arm (6 / 17 / 18 = 41)
EXCLUDED_PER_SITE = {
    "114": {"VEH": 2, "RUX075": 6, "RUX15": 6},
    "139": {"VEH": 2, "RUX075": 5, "RUX15": 6},
    "226": {"VEH": 2, "RUX075": 6, "RUX15": 6},
}

#: plan section 4, first table (efficacy-evaluable, Week 8)
EVALUABLE = {"VEH": 244, "RUX075": 483, "RUX15": 481}
IGA_TS = {"VEH": 28, "RUX075": 216, "RUX15": 253}
W8_IGA_OBSERVED = {"VEH": 202, "RUX075": 429, "RUX15": 450}
NON_ACHIEVERS = {"VEH": 174, "RUX075": 213, "RUX15": 197}
CPR = {"VEH": 110, "RUX075": 188, "RUX15": 168}
CPRIGA = {"VEH": 120, "RUX075": 199, "RUX15": 179}
IGA_R1_OBSERVED = {"VEH": 103, "RUX075": 369, "RUX15": 393}
TS_OR_CPR = {"VEH": 138, "RUX075": 404, "RUX15": 421}
TS_OR_CPRIGA = {"VEH": 148, "RUX075": 415, "RUX15": 432}

#: component responders among non-achievers (not published as numbers; chosen to be consistent
#: with the composites and with the published significance marks). Denominators are the
#: non-achievers evaluable for the component.
COMPONENTS = {
    "EASI50": {"VEH": 64, "RUX075": 146, "RUX15": 131},
    "NRS2": {"VEH": 52, "RUX075": 90, "RUX15": 91},
    "QOLR": {"VEH": 60, "RUX075": 111, "RUX15": 112},
}
#: non-achievers whose baseline QoL total is missing (two or more items missing): not evaluable
QOL_BASELINE_MISSING = {"VEH": 3, "RUX075": 4, "RUX15": 3}

#: Table 1: categorical counts per group (non-achievers by arm; ALL = efficacy-evaluable overall)
T1_COUNTS = {
    "female": {"VEH": 113, "RUX075": 117, "RUX15": 127, "ALL": 739},
    "White": {"VEH": 117, "RUX075": 138, "RUX15": 124, "ALL": 829},
    "Black": {"VEH": 43, "RUX075": 62, "RUX15": 61, "ALL": 292},
    "Asian": {"VEH": 8, "RUX075": 7, "RUX15": 10, "ALL": 46},
    "Other": {"VEH": 6, "RUX075": 6, "RUX15": 2, "ALL": 41},
    "North America": {"VEH": 121, "RUX075": 171, "RUX15": 154, "ALL": 855},
    "Europe": {"VEH": 53, "RUX075": 42, "RUX15": 43, "ALL": 353},
    "IGA2": {"VEH": 55, "RUX075": 83, "RUX15": 80, "ALL": 312},
    "IGA3": {"VEH": 119, "RUX075": 130, "RUX15": 117, "ALL": 896},
    "facial": {"VEH": 72, "RUX075": 77, "RUX15": 77, "ALL": 476},
    "itch>=2": {"VEH": 148, "RUX075": 177, "RUX15": 165, "NA": 490, "ALL": 1017},
    "itch>=4": {"VEH": 112, "RUX075": 148, "RUX15": 127, "NA": 387, "ALL": 778},
}

#: Table 1: continuous characteristics, (statistic, value) per group
T1_AGE = {  # median (min-max), years
    "VEH": (34.5, 12, 82),
    "RUX075": (37.0, 12, 85),
    "RUX15": (28.0, 12, 84),
    "NA": (33.0, 12, 85),
    "ALL": (32.0, 12, 85),
}
T1_DURATION = {  # median (min-max), years
    "VEH": (15.5, 0.8, 79.1),
    "RUX075": (14.0, 1.8, 68.6),
    "RUX15": (14.9, 0.2, 69.2),
    "NA": (14.9, 0.2, 79.1),
    "ALL": (15.3, 0.0, 79.1),
}
T1_BSA = {"VEH": (9.3, 5.3), "RUX075": (9.9, 5.2), "RUX15": (9.1, 5.1), "NA": (9.5, 5.2), "ALL": (9.6, 5.2)}
T1_EASI = {"VEH": (7.9, 4.9), "RUX075": (7.8, 5.3), "RUX15": (7.2, 4.7), "NA": (7.6, 5.0), "ALL": (7.9, 4.9)}
T1_ITCH = {"VEH": (5.1, 2.4), "RUX075": (5.1, 2.4), "RUX15": (4.9, 2.4), "NA": (5.1, 2.4), "ALL": (5.1, 2.4)}
T1_FLARES = {"VEH": (5.7, 13.6), "RUX075": (4.6, 4.5), "RUX15": (5.5, 8.4), "NA": (5.3, 9.3), "ALL": (5.8, 16.8)}
