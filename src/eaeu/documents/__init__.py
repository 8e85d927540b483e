"""Documents: JAdES, PAdES and CAdES signatures, node-held signing keys, and validation receipts.

Aggregates: a node-held signing key (:class:`~eaeu.documents.keys.DocumentKeys`, a
person's or an organisation's key with its certificate from the state root), the node's
revocations (:class:`~eaeu.documents.revocation.RevocationRegistry` and its CRL), and the
validation report (:class:`~eaeu.documents.model.ValidationReport`) with the receipt a node
signs over it (:mod:`~eaeu.documents.receipts`).

Use cases (:mod:`~eaeu.documents.handlers`): sign a JSON document or a PDF
(:func:`~eaeu.documents.handlers.sign_document`), revoke a signer's keys, validate a signed
document (:class:`~eaeu.documents.validation.ValidationService`), accept another member's
receipt and issue one's own, and ask a signer's home node to validate
(``documents.validate``, :mod:`~eaeu.documents.messages`).

Specifications: ETSI TS 119 182-1 (JAdES baseline B-B), ETSI EN 319 142-1 (PAdES, with
pyHanko), ETSI EN 319 122-1 and RFC 5652 (CAdES / CMS), ETSI EN 319 102-1 and TS 119 102-2
(validation, indications and reports), RFC 3029 (DVCS: the semantics of the receipts),
RFC 5280 (certificates and CRLs), RFC 7515 (JWS).
"""
