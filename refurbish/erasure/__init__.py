"""Data erasure: storage media, erasure records, reports, certificates."""
