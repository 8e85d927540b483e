"""Exchange: signed envelopes between national nodes, in the model of X-Road: message log.

Aggregates: the message log (``eaeu.exchange.log``), an append-only, hash-chained record of
every message sent, delivered, received, refused, receipted or dead-lettered, holding hashes
and routing metadata only — never payloads or personal data.
Specifications: the X-Road message log data model (DM-ML) and security architecture
(ARC-SEC), as adapted in ARCHITECTURE §5.
"""
