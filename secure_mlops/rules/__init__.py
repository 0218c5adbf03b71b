"""Detective controls: Cloud Custodian policies, one file per control (<ID>.yml)."""
