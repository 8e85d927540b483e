"""Consent: consent records, the transfer policy of each state, the transfer ledger, the guard.

Aggregates:

- ``Consent`` (``records.py``, ``model.py``): a person's consent on their home node —
  subject, requester, provider, purpose and legal basis, categories and fields, validity,
  one-time or periodic, data life, explicit request and preview — signed by the home node
  as a compact JWS (``tokens.py``, typ ``eaeu-consent+jws``) that names nobody.
- ``TransferPolicy`` (``policy.py``): the dated cross-border rules of each member state,
  read from the packaged ``transfer_policy.json``; ``check_transfer`` combines them with the
  legal basis held and explains a refusal in English and Russian (152-FZ, 94-V, 99-Z,
  ZR-49, Law No. 58).
- The transfer ledger (``ledger.py``): every transfer and refused attempt, hash-chained.
- ``ConsentGuard`` (``guard.py``): the exchange's ``TransferGuard`` — consent and policy
  together decide what personal data crosses, and every decision is ledgered.
- The requester's side (``received.py``): consents granted to this node, revocations, and
  the data received, deleted on revocation.

Commands (``handlers.py``): preview, confirm/give, withdraw, my data (home node); request
the data, consents received (requesting node). Messages (``messages.py``):
``consent.granted``, ``consent.revoked``, ``consent.data.request``.

The record shape follows the merged Account Aggregator (ReBIT ``ConsentDetail``,
``ConsentUse``), EU OOTS (SDGR Art. 14(3): explicit request, preview) and Kantara Consent
Receipt proposal of the design notes.
"""
