"""SDTM metadata of the simulated study: variables with labels, keys, dataset labels, trial design."""

from __future__ import annotations

import pandas as pd

from . import targets as T

DOMAIN_ORDER = ("DM", "SV", "EX", "DS", "MH", "SC", "RS", "QS", "TA", "TE", "TV", "TS")

DATASET_LABELS = {
    "DM": "Demographics",
    "SV": "Subject Visits",
    "EX": "Exposure",
    "DS": "Disposition",
    "MH": "Medical History",
    "SC": "Subject Characteristics",
    "RS": "Disease Response and Clin Classification",
    "QS": "Questionnaires",
    "TA": "Trial Arms",
    "TE": "Trial Elements",
    "TV": "Trial Visits",
    "TS": "Trial Summary",
}

_COMMON = [("STUDYID", "Study Identifier"), ("DOMAIN", "Domain Abbreviation"), ("USUBJID", "Unique Subject Identifier")]
_VISIT = [("VISITNUM", "Visit Number"), ("VISIT", "Visit Name")]

LABELS: dict[str, list[tuple[str, str]]] = {
    "DM": _COMMON
    + [
        ("SUBJID", "Subject Identifier for the Study"),
        ("RFSTDTC", "Subject Reference Start Date/Time"),
        ("RFENDTC", "Subject Reference End Date/Time"),
        ("RFXSTDTC", "Date/Time of First Study Treatment"),
        ("RFXENDTC", "Date/Time of Last Study Treatment"),
        ("RFICDTC", "Date/Time of Informed Consent"),
        ("SITEID", "Study Site Identifier"),
        ("AGE", "Age"),
        ("AGEU", "Age Units"),
        ("SEX", "Sex"),
        ("RACE", "Race"),
        ("ETHNIC", "Ethnicity"),
        ("ARMCD", "Planned Arm Code"),
        ("ARM", "Description of Planned Arm"),
        ("ACTARMCD", "Actual Arm Code"),
        ("ACTARM", "Description of Actual Arm"),
        ("COUNTRY", "Country"),
        ("DMDTC", "Date/Time of Collection"),
    ],
    "SV": _COMMON + _VISIT + [("SVSTDTC", "Start Date/Time of Visit"), ("SVENDTC", "End Date/Time of Visit")],
    "EX": _COMMON
    + [
        ("EXSEQ", "Sequence Number"),
        ("EXTRT", "Name of Treatment"),
        ("EXDOSE", "Dose"),
        ("EXDOSU", "Dose Units"),
        ("EXDOSFRM", "Dose Form"),
        ("EXDOSFRQ", "Dosing Frequency per Interval"),
        ("EXROUTE", "Route of Administration"),
        ("EPOCH", "Epoch"),
        ("EXSTDTC", "Start Date/Time of Treatment"),
        ("EXENDTC", "End Date/Time of Treatment"),
    ],
    "DS": _COMMON
    + [
        ("DSSEQ", "Sequence Number"),
        ("DSTERM", "Reported Term for the Disposition Event"),
        ("DSDECOD", "Standardized Disposition Term"),
        ("DSCAT", "Category for Disposition Event"),
        ("EPOCH", "Epoch"),
        ("DSSTDTC", "Start Date/Time of Disposition Event"),
    ],
    "MH": _COMMON
    + [
        ("MHSEQ", "Sequence Number"),
        ("MHTERM", "Reported Term for the Medical History"),
        ("MHDECOD", "Dictionary-Derived Term"),
        ("MHCAT", "Category for Medical History"),
        ("MHSTDTC", "Start Date/Time of Medical History Event"),
    ],
    "SC": _COMMON
    + [
        ("SCSEQ", "Sequence Number"),
        ("SCTESTCD", "Subject Characteristic Short Name"),
        ("SCTEST", "Subject Characteristic"),
        ("SCORRES", "Result or Finding in Original Units"),
        ("SCSTRESC", "Character Result/Finding in Std Format"),
        ("SCSTRESN", "Numeric Result/Finding in Standard Units"),
        ("SCDTC", "Date/Time of Collection"),
    ],
    "RS": _COMMON
    + [
        ("RSSEQ", "Sequence Number"),
        ("RSTESTCD", "Assessment Short Name"),
        ("RSTEST", "Assessment Name"),
        ("RSCAT", "Category for Assessment"),
        ("RSORRES", "Result or Finding in Original Units"),
        ("RSSTRESC", "Character Result/Finding in Std Format"),
        ("RSSTRESN", "Numeric Result/Finding in Standard Units"),
        ("RSSTAT", "Completion Status"),
        ("RSEVAL", "Evaluator"),
        *_VISIT,
        ("RSDTC", "Date/Time of Assessment"),
        ("RSDY", "Study Day of Assessment"),
    ],
    "QS": _COMMON
    + [
        ("QSSEQ", "Sequence Number"),
        ("QSCAT", "Category of Question"),
        ("QSTESTCD", "Question Short Name"),
        ("QSTEST", "Question Name"),
        ("QSORRES", "Finding in Original Units"),
        ("QSSTRESC", "Character Result/Finding in Std Format"),
        ("QSSTRESN", "Numeric Finding in Standard Units"),
        ("QSSTAT", "Completion Status"),
        *_VISIT,
        ("QSDTC", "Date/Time of Finding"),
        ("QSDY", "Study Day of Finding"),
    ],
    "TA": [
        ("STUDYID", "Study Identifier"),
        ("DOMAIN", "Domain Abbreviation"),
        ("ARMCD", "Planned Arm Code"),
        ("ARM", "Description of Planned Arm"),
        ("TAETORD", "Planned Order of Element within Arm"),
        ("ETCD", "Element Code"),
        ("ELEMENT", "Description of Element"),
        ("EPOCH", "Epoch"),
    ],
    "TE": [
        ("STUDYID", "Study Identifier"),
        ("DOMAIN", "Domain Abbreviation"),
        ("ETCD", "Element Code"),
        ("ELEMENT", "Description of Element"),
        ("TESTRL", "Rule for Start of Element"),
        ("TEENRL", "Rule for End of Element"),
        ("TEDUR", "Planned Duration of Element"),
    ],
    "TV": [
        ("STUDYID", "Study Identifier"),
        ("DOMAIN", "Domain Abbreviation"),
        *_VISIT,
        ("VISITDY", "Planned Study Day of Visit"),
        ("TVSTRL", "Visit Start Rule"),
    ],
    "TS": [
        ("STUDYID", "Study Identifier"),
        ("DOMAIN", "Domain Abbreviation"),
        ("TSSEQ", "Sequence Number"),
        ("TSPARMCD", "Trial Summary Parameter Short Name"),
        ("TSPARM", "Trial Summary Parameter"),
        ("TSVAL", "Parameter Value"),
    ],
}
VARIABLES = {d: [v for v, _ in vs] for d, vs in LABELS.items()}

#: the keys that identify a record (sort order of the files)
KEYS = {
    "DM": ["STUDYID", "USUBJID"],
    "SV": ["STUDYID", "USUBJID", "VISITNUM"],
    "EX": ["STUDYID", "USUBJID", "EXSTDTC", "EXSEQ"],
    "DS": ["STUDYID", "USUBJID", "DSSTDTC", "DSSEQ"],
    "MH": ["STUDYID", "USUBJID", "MHCAT", "MHTERM", "MHSEQ"],
    "SC": ["STUDYID", "USUBJID", "SCTESTCD", "SCSEQ"],
    "RS": ["STUDYID", "USUBJID", "RSTESTCD", "VISITNUM", "RSDTC", "RSSEQ"],
    "QS": ["STUDYID", "USUBJID", "QSCAT", "QSTESTCD", "QSDTC", "QSSEQ"],
    "TA": ["STUDYID", "ARMCD", "TAETORD"],
    "TE": ["STUDYID", "ETCD"],
    "TV": ["STUDYID", "VISITNUM"],
    "TS": ["STUDYID", "TSSEQ"],
}


def trial_design() -> dict[str, pd.DataFrame]:
    """TA, TE, TV and TS for both studies (identical designs)."""
    elements = [
        ("SCRN", "Screening", "Informed consent", "Randomization", "P4W"),
        ("VEH", "Vehicle cream BID", "First dose of vehicle", "Week 8 visit", "P8W"),
        ("RUX075", "Ruxolitinib cream 0.75% BID", "First dose of 0.75%", "End of treatment", "P8W"),
        ("RUX15", "Ruxolitinib cream 1.5% BID", "First dose of 1.5%", "End of treatment", "P8W"),
        ("LTS075", "Ruxolitinib cream 0.75% BID (LTS)", "Week 8 visit", "Week 52 visit", "P44W"),
        ("LTS15", "Ruxolitinib cream 1.5% BID (LTS)", "Week 8 visit", "Week 52 visit", "P44W"),
    ]
    arms = {
        "VEH-RUX075": ["SCRN", "VEH", "LTS075"],
        "VEH-RUX15": ["SCRN", "VEH", "LTS15"],
        "RUX075": ["SCRN", "RUX075", "LTS075"],
        "RUX15": ["SCRN", "RUX15", "LTS15"],
    }
    arm_label = {
        "VEH-RUX075": f"{T.ARM_LABEL['VEH']}, then {T.ARM_LABEL['RUX075']}",
        "VEH-RUX15": f"{T.ARM_LABEL['VEH']}, then {T.ARM_LABEL['RUX15']}",
        "RUX075": T.ARM_LABEL["RUX075"],
        "RUX15": T.ARM_LABEL["RUX15"],
    }
    epochs = ["SCREENING", "BLINDED TREATMENT", "CONTINUATION TREATMENT"]
    el = {e[0]: e[1] for e in elements}
    visits = [
        (1, "SCREENING", -28, "Up to 4 weeks before Day 1"),
        (2, "BASELINE", 1, "Day 1, first dose"),
        (3, "WEEK 2", 15, "Day 15"),
        (4, "WEEK 4", 29, "Day 29"),
        (5, "WEEK 8", 57, "Day 57"),
        (6, "WEEK 12", 85, "Day 85"),
        (7, "WEEK 16", 113, "Day 113"),
        (8, "WEEK 20", 141, "Day 141"),
        (9, "WEEK 28", 197, "Day 197"),
        (10, "WEEK 36", 253, "Day 253"),
        (11, "WEEK 44", 309, "Day 309"),
        (12, "WEEK 52", 365, "Day 365"),
    ]
    ta, te, tv, ts = [], [], [], []
    for study, name in T.STUDIES.items():
        for armcd, els in arms.items():
            for order, (etcd, epoch) in enumerate(zip(els, epochs), 1):
                ta.append((study, "TA", armcd, arm_label[armcd], float(order), etcd, el[etcd], epoch))
        for e in elements:
            te.append((study, "TE", *e))
        for vn, v, dy, rule in visits:
            tv.append((study, "TV", float(vn), v, float(dy), rule))
        params = [
            ("TITLE", "Trial Title", f"{name}: Ruxolitinib Cream in Adolescents and Adults With Atopic Dermatitis"),
            ("TPHASE", "Trial Phase Classification", "PHASE III TRIAL"),
            ("INDIC", "Trial Disease/Condition Indication", "Atopic Dermatitis"),
            ("RANDOM", "Trial is Randomized", "Y"),
            ("TBLIND", "Trial Blinding Schema", "DOUBLE BLIND"),
            ("TCNTRL", "Control Type", "PLACEBO"),
            ("AGEMIN", "Planned Minimum Age of Subjects", "P12Y"),
            ("PLANSUB", "Planned Number of Subjects", str(sum(T.RANDOMIZED[study].values()))),
            ("RANDQT", "Randomization Quotient", "0.8"),
            ("LENGTH", "Trial Length", "P52W"),
            ("SPONSOR", "Clinical Study Sponsor", "SIMULATED (adamforge reference study)"),
            ("REGID", "Registry Identifier", "NCT03745638" if study.endswith("303") else "NCT03745651"),
            ("DATASRC", "Data Source", "SYNTHETIC: simulated, calibrated to published summary statistics"),
        ]
        for i, (cd, parm, val) in enumerate(params, 1):
            ts.append((study, "TS", float(i), cd, parm, val))
    cols = {d: VARIABLES[d] for d in ("TA", "TE", "TV", "TS")}
    return {
        "TA": pd.DataFrame(ta, columns=cols["TA"]),
        "TE": pd.DataFrame(te, columns=cols["TE"]),
        "TV": pd.DataFrame(tv, columns=cols["TV"]),
        "TS": pd.DataFrame(ts, columns=cols["TS"]),
    }
