"""Documents: JAdES, PAdES and CAdES signatures, and the validation service with receipts."""
