"""Travel: "Traveling without COVID-19" — EU DCC test certificates, issued and verified offline.

Aggregates and value objects: the signed test certificate (:class:`~.hcert.IssuedCertificate`,
built from a :class:`~.hcert.Holder` and a :class:`~.hcert.LabResult`), the UVCI
(:mod:`.uvci`), and the verification report (:class:`~.verifier.VerificationResult`, one
outcome per stage). Use cases: ``issue_test_certificate`` (:mod:`.hcert`) and ``verify``
(:mod:`.verifier`); QR rendering and reading in :mod:`.qr`; business rules in
:mod:`.certlogic` and :mod:`.rules`.

The service around them (:mod:`.handlers`, ``TravelService``): the accredited
:class:`~.model.Lab` (public, versioned, replicated to every travel node by
``travel.labs.published`` and ``travel.labs.sync``: :mod:`.labs`, :mod:`.messages`), the
:class:`~.model.Booking` of a seat in a slot (:mod:`.booking`), and the
:class:`~.model.TestResult` with its :class:`~.model.Certificate` signed by the state's
health document signer (:mod:`.issuance`, printable PDF in :mod:`.certificate_pdf`).
Commands: ``AccreditLab``, ``BookSlot``, ``RecordResult`` (:mod:`.commands`). Bookings,
results and certificates are personal data and never leave the node of the lab's state.

Specifications: EU Digital COVID Certificate — eHealth Network *Electronic Health
Certificate Specification* 1.0.8 (HCERT: CWT RFC 8392, COSE_Sign1 RFC 9052, ES256/PS256,
zlib, Base45 RFC 9285, ``HC1:``), DCC JSON schema 1.3 (``eu-dcc-schema``), UVCI and Luhn
mod N check characters (eHN *Guidelines on verifiable vaccination certificates*, Annex 2),
CertLogic 1.3 and the DCC validation-rule format; conformance against the EU DCC test
corpus (``dgc-testdata``) in ``tests/conformance``.
"""
