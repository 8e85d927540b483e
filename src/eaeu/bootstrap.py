"""The composition root: settings in, a wired node out.

Nothing else in the code base builds engines, reads the environment or picks a clock.
``eaeu.web`` and ``eaeu.cli`` call :func:`build` and hand the result down.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from eaeu.consent import messages as consent_messages
from eaeu.consent import records as consent_records
from eaeu.consent.guard import ConsentGuard
from eaeu.documents import messages as documents_messages
from eaeu.documents.handlers import Documents, node_documents
from eaeu.documents.revocation import HttpCrlFetcher
from eaeu.exchange.errors import MessageRefused
from eaeu.exchange.messages import TRUST_LIST_PUBLISHED, builtin_handlers
from eaeu.exchange.node import ExchangeConfig, ExchangeNode
from eaeu.exchange.transport import HttpTransport, Transport
from eaeu.exchange.trust_store import TrustStore
from eaeu.identity.accounts import Accounts
from eaeu.identity.seed import seed_demo_accounts
from eaeu.kernel.clock import Clock, SystemClock
from eaeu.kernel.errors import ConfigurationError
from eaeu.kernel.settings import Settings
from eaeu.kernel.states import MemberState, get_state
from eaeu.services.jobs.context import JobsContext
from eaeu.services.jobs.service import JobsService
from eaeu.services.travel import messages as travel_messages
from eaeu.services.travel import revocation as travel_revocation
from eaeu.services.travel.errors import IssuingUnavailable
from eaeu.services.travel.handlers import SIGNER_UNAVAILABLE, TravelService
from eaeu.services.travel.hcert import DccSigner
from eaeu.services.travel.revocation import Revocations
from eaeu.services.travel.seed import seed_demo_labs
from eaeu.services.travel.service import NodeVerifier
from eaeu.storage import migrate
from eaeu.storage.engine import make_engine
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.trust.errors import KeyStoreError, TrustError
from eaeu.trust.keys import EcSigner, key_passphrase
from eaeu.trust.trustlist import TrustList
from eaeu.trust.union import LocalUnion


@dataclass(slots=True)
class Federation:
    """Where the union portal and each node answer (``federation.json``)."""

    portal: str | None = None
    nodes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None) -> Federation:
        """Read ``federation.json``; a missing file means an empty federation.

        Raises:
            ConfigurationError: the file exists but is not a federation document.
        """
        if path is None or not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(portal=data.get("portal"), nodes=dict(data.get("nodes", {})))
        except (ValueError, AttributeError, TypeError):
            raise ConfigurationError(
                f"{path} is not a federation document; delete it and run `eaeu up` again",
                reason="config.federation_file",
            ) from None

    def to_json(self) -> str:
        """Serialise as written by ``eaeu up``."""
        return json.dumps({"portal": self.portal, "nodes": self.nodes}, indent=2, sort_keys=True)


@dataclass(slots=True)
class Platform:
    """A wired node (or the union portal when ``state`` is ``None``)."""

    settings: Settings
    clock: Clock
    engine: Engine
    uow: UnitOfWorkFactory
    state: MemberState | None
    federation: Federation
    exchange: ExchangeNode | None = None
    documents: Documents | None = None
    travel_verifier: NodeVerifier | None = None
    travel: TravelService | None = None
    jobs: JobsService | None = None

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


def exchange_config(settings: Settings) -> ExchangeConfig:
    """The exchange timing chosen by the settings."""
    return ExchangeConfig(
        window=timedelta(seconds=settings.exchange_window_s),
        retry_base_s=settings.exchange_retry_base_s,
        retry_cap_s=settings.exchange_retry_cap_s,
        max_attempts=settings.exchange_max_attempts,
        lease_s=settings.exchange_lease_s,
    )


def person_data(uow: UnitOfWorkFactory, clock: Clock) -> consent_messages.PersonData:
    """A person's record as a consent releases it, read from identity (for consent).

    Consent may not import identity; this is the one place that joins them.
    """
    accounts = Accounts(uow, clock)

    def read(person_id: str) -> dict[str, str]:
        person = accounts.person(person_id)
        return {
            "family_name": person.family_name,
            "given_name": person.given_name,
            "family_name_latin": person.family_name_latin,
            "given_name_latin": person.given_name_latin,
            "birth_date": person.birth_date.isoformat(),
            "nationality": person.nationality,
            "national_id_kind": person.national_id_kind,
            "national_id": person.national_id,
            "email": person.email,
        }

    return read


def assume_authority_notified(uow: UnitOfWorkFactory, clock: Clock, state: str) -> None:
    """Record, on a development node, the authority notifications its law requires.

    Without them a state that requires a notification before data first leaves (Russia)
    refuses every transfer abroad, including its own citizens signing in elsewhere. The
    development node assumes them, with the reference ``DEV-ASSUMED`` and only where none
    is recorded (so it is idempotent); a real node records the authority's real
    notification numbers (``eaeu consent notify``, ``POST /api/v1/consent/notifications``).
    """
    try:
        with uow() as unit:
            if consent_records.assume_notified(unit.session, state, at=clock.now()):
                unit.commit()
    except IntegrityError:
        # The node and its delivery worker start together: the other one recorded them.
        return


def build_exchange(
    settings: Settings, uow: UnitOfWorkFactory, clock: Clock, transport: Transport | None = None
) -> ExchangeNode | None:
    """Wire the node's exchange from its keys and trust lists, or ``None`` without keys.

    A node without keys under ``<data_dir>/keys/<STATE>/`` serves its portal and API but
    exchanges nothing (``/healthz`` says so). Trust list versions found in
    ``<data_dir>/trust/`` that are newer than the one in force are verified and accepted.

    Raises:
        KeyStoreError: the keys cannot be opened with the configured secret.
        TrustListRejected: a trust list file must not be accepted.
    """
    if settings.state is None:
        return None
    union = LocalUnion(
        settings.data_dir,
        key_passphrase(settings.secret_key.get_secret_value(), development=settings.development),
    )
    if not union.has_keys(settings.state):
        return None
    store = TrustStore(uow, clock, pinned_digest=settings.trust_pin)
    store.bootstrap(settings.data_dir / "trust")
    guard = ConsentGuard(state=settings.state, trust=store.current, uow=uow)
    return ExchangeNode(
        state=settings.state,
        signer=union.node_signer(settings.state),
        encryption_key=union.node_encryption_key(settings.state),
        trust=store,
        uow=uow,
        clock=clock,
        transport=transport or HttpTransport(),
        handlers={
            **builtin_handlers(store),
            **consent_messages.handlers(guard, person_data(uow, clock)),
            **travel_revocation.handlers(store.current),
        },
        config=exchange_config(settings),
        guard=guard,
    )


def build_documents(
    settings: Settings, uow: UnitOfWorkFactory, clock: Clock, exchange: ExchangeNode | None
) -> Documents | None:
    """Wire the node's documents service on its exchange and register ``documents.validate``.

    The node validates and signs receipts with its exchange key. It issues signing
    certificates to its people and organisations (and publishes its CRL) only when it
    holds its state root's key, as a development union's node does.

    Raises:
        KeyStoreError: the root key exists but cannot be opened with the configured secret.
    """
    if exchange is None or settings.state is None:
        return None
    secret = key_passphrase(
        settings.secret_key.get_secret_value(), development=settings.development
    )
    union = LocalUnion(settings.data_dir, secret)
    root: x509.Certificate | None
    root_signer: EcSigner | None
    try:
        root, root_signer = (
            union.root_certificate(settings.state),
            union.governance_signer(settings.state),
        )
    except KeyStoreError as exc:
        if exc.reason != "keys.missing":
            raise
        root = root_signer = None
    documents = node_documents(
        state=settings.state,
        uow=uow,
        clock=clock,
        signer=exchange.signer,
        trust=exchange.trust.current,
        secret=secret,
        root=root,
        root_signer=root_signer,
        fetch_crl=HttpCrlFetcher(exchange.trust.current),
        home=documents_messages.home_validation(exchange),
    )
    exchange.handlers.update(documents_messages.handlers(documents.validation))
    return documents


def _file_trust(data_dir: Path) -> Callable[[], TrustList | None]:
    """The trust list chain under ``<data_dir>/trust/``, re-read when a version appears."""
    cached: dict[tuple[Path, ...], TrustList | None] = {}
    union = LocalUnion(data_dir, b"")  # reads public trust lists only, never a key

    def current() -> TrustList | None:
        paths = tuple(union.versions())
        if paths not in cached:
            cached.clear()
            try:
                cached[paths] = union.latest() if paths else None
            except TrustError:
                cached[paths] = None
        return cached[paths]

    return current


def build_travel_verifier(
    settings: Settings, uow: UnitOfWorkFactory, clock: Clock, exchange: ExchangeNode | None
) -> NodeVerifier:
    """Wire the travel verifier: a node's trust list, imported signers and revocations.

    The union portal (no state) verifies against the trust list files of its data
    directory and the shipped entry rules; it has no revocation list of its own.
    """
    if settings.state is None:
        return NodeVerifier(trust=_file_trust(settings.data_dir), clock=clock)
    trust: Callable[[], TrustList | None]
    if exchange is not None:
        store = exchange.trust

        def trust() -> TrustList | None:
            try:
                return store.current()
            except MessageRefused:
                return None

        revocations = Revocations(
            uow=uow, clock=clock, state=settings.state, trust=store.current, exchange=exchange
        )
    else:
        trust = _file_trust(settings.data_dir)
        revocations = None
    return NodeVerifier(
        trust=trust, clock=clock, uow=uow, revocations=revocations, state=settings.state
    )


def build_travel(
    settings: Settings, uow: UnitOfWorkFactory, clock: Clock, exchange: ExchangeNode | None
) -> TravelService | None:
    """Wire the travel service (labs, bookings, certificates) on the node's exchange.

    Registers the lab registry's messages, and has a new trust list trigger the catch-up
    with states that have just joined travel. Certificates are signed with the state's
    health document signer (``keys/<STATE>/ds-health.*``), opened on first use.
    """
    if exchange is None or settings.state is None:
        return None
    state = settings.state
    union = LocalUnion(
        settings.data_dir,
        key_passphrase(settings.secret_key.get_secret_value(), development=settings.development),
    )
    opened: list[tuple[DccSigner, x509.Certificate]] = []

    def health_signer() -> tuple[DccSigner, x509.Certificate]:
        if not opened:
            try:
                opened.append(union.document_signer(state, "health"))
            except KeyStoreError as exc:
                raise IssuingUnavailable(SIGNER_UNAVAILABLE) from exc
        return opened[0]

    travel = TravelService(
        state=state, uow=uow, clock=clock, trust=exchange.trust.current, exchange=exchange,
        signer=health_signer,
    )  # fmt: skip
    exchange.handlers.update(travel.message_handlers())
    exchange.handlers[TRUST_LIST_PUBLISHED] = travel_messages.reconcile_after(
        exchange.handlers[TRUST_LIST_PUBLISHED], travel.registry, background=True
    )
    return travel


def build_jobs(
    settings: Settings,
    uow: UnitOfWorkFactory,
    clock: Clock,
    exchange: ExchangeNode | None,
    documents: Documents | None,
) -> JobsService | None:
    """Wire the jobs service on the node's exchange and register its messages."""
    if exchange is None or settings.state is None:
        return None
    jobs = JobsService(
        JobsContext(
            state=settings.state, uow=uow, clock=clock, trust=exchange.trust.current,
            exchange=exchange, documents=documents,
        )
    )  # fmt: skip
    exchange.handlers.update(jobs.message_handlers())
    return jobs


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    migrate_db: bool = True,
    demo_data: bool = True,
) -> Platform:
    """Wire a node from its settings.

    Args:
        settings: the node's settings.
        clock: the clock to use (the system clock by default).
        migrate_db: apply migrations and claim the database for this node first.
        demo_data: on a development node, seed the demonstration labs, vacancies, products
            and places. ``eaeu node serve`` seeds once before its web workers start, so
            they and the delivery worker pass ``False`` instead of all seeding at once.

    Raises:
        ConfigurationError: the database cannot be used by this node.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url)
    clock = clock or SystemClock()
    try:
        if migrate_db:
            migrate.upgrade(engine)
            migrate.claim_for_node(engine, settings.state or "UNION", clock=clock)
    except Exception:
        engine.dispose()
        raise
    uow = UnitOfWorkFactory(engine)
    try:
        if migrate_db and settings.development and settings.state:
            seed_demo_accounts(Accounts(uow, clock), settings.state)
            assume_authority_notified(uow, clock, settings.state)
        exchange = build_exchange(settings, uow, clock) if migrate_db else None
        documents = build_documents(settings, uow, clock, exchange)
        travel_verifier = build_travel_verifier(settings, uow, clock, exchange)
        travel = build_travel(settings, uow, clock, exchange)
        seed = migrate_db and demo_data and settings.development
        if seed and travel is not None:
            seed_demo_labs(travel.registry, Accounts(uow, clock))
        jobs = build_jobs(settings, uow, clock, exchange, documents)
        if seed and jobs is not None:
            jobs.seed_demo()
    except Exception:
        engine.dispose()
        raise
    return Platform(
        settings=settings,
        clock=clock,
        engine=engine,
        uow=uow,
        state=get_state(settings.state) if settings.state else None,
        federation=Federation.load(settings.effective_federation_file),
        exchange=exchange,
        documents=documents,
        travel_verifier=travel_verifier,
        travel=travel,
        jobs=jobs,
    )
