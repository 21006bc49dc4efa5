"""The data-access layer: every read and write of cases, submissions and statutory returns goes through here.

The store takes and returns plain canonical data (JSON-ready dicts) and models; it knows nothing of HTTP.
Modules: ``cases`` (case documents, their versions and who may see them), ``events`` (progression events
applied to a case), ``submissions`` (raw bodies, intake, leases, staged records), ``returns`` (CIN census
and SSDA903 records).
"""
