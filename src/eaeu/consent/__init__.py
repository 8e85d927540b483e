"""Consent: consent records, the transfer policy of each state, the transfer ledger.

This package holds the transfer policy; consent records and the ledger follow.

Aggregates: ``TransferPolicy`` (``eaeu.consent.policy``), the dated cross-border rules of
each member state, read from the packaged ``transfer_policy.json``. The egress check
``check_transfer`` combines a state's rules with the legal basis the caller holds and
explains a refusal in English and Russian. The rules follow the national personal-data
laws cited in each version (152-FZ, 94-V, 99-Z, ZR-49, Law No. 58); the record shape
follows the merged Account Aggregator / OOTS / Kantara proposal of the design notes.
"""
