"""The service's own routes under `/api/v1` (stages mount theirs in `remise.app`)."""
