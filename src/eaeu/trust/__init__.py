"""Trust: keys, the national PKIs, the union trust list, and signatures.

Aggregates: the union ``TrustList`` (versioned, threshold-signed by member states, in the
spirit of ETSI TS 119 602 and TUF's root rotation), each state's PKI (X.509 root CA, node
exchange signing certificate, document signer certificates).
Specifications: RFC 7515 (JWS), RFC 7517/7638 (JWK and thumbprints), RFC 5280 (X.509).
"""
