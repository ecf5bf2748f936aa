"""The human-coding loop: choosing documents to code (``sample``), reading coders'
files (``codes``), agreement between coders (``agreement``) and gold labels from
several coders (``gold``). Pure library: no database, Prefect or CLI code here."""

from pipeline.annotate.agreement import agreement_table, cohen_kappa, krippendorff_alpha_nominal
from pipeline.annotate.gold import consolidate

__all__ = ["agreement_table", "cohen_kappa", "krippendorff_alpha_nominal", "consolidate"]
