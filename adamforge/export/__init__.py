"""Submission files from one spec: SAS XPORT v5, Dataset-JSON v1.1 and define.xml 2.1.

Modules: :mod:`.xpt` (XPT v5 check/write/read), :mod:`.datasetjson` (Dataset-JSON v1.1),
:mod:`.define` (define.xml 2.1) and :mod:`.step` (the ``adamforge export`` step). Import the
module you need; nothing heavy is imported here.
"""
