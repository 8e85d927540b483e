"""Medical insurance for the move: insurers publish products, workers buy signed policies.

An insurer of the destination state (role ``insurer``) publishes products on its own node:
coverage, price per month, currency, who is covered (the worker, or the worker and family)
and the shortest and longest term. The catalogue is not replicated: the worker's home node
asks the destination's node for it (``jobs.insurance.products``, a public synchronous
request) when the person looks.

Buying is the person's consented request (``jobs.insurance.buy``, purpose
``insurance.policy``, the consent naming the insurer as the receiver) carrying the minimum
data. The destination's node checks the product, the term and that the consent names the
product's insurer, records the policy and answers with the policy signed by its exchange key
(:mod:`.attestations`, ``eaeu-jobs-policy+jws``). The home node verifies the signature
through the union trust list, checks that the policy is for what was asked, and keeps it for
the person to download; the checklist's health-cover item is then done.
"""

# Demonstration product names and coverage in Russian are data of this module.
# ruff: noqa: RUF001

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from eaeu.consent.handlers import ConsentRequest
from eaeu.consent.model import organisation_ref
from eaeu.exchange.errors import MessageRefused
from eaeu.exchange.node import Handler, Incoming
from eaeu.identity.accounts import Accounts
from eaeu.identity.model import Organisation
from eaeu.kernel.ids import uuid7
from eaeu.kernel.log import get_logger
from eaeu.kernel.states import MEMBER_STATES
from eaeu.services.jobs import attestations
from eaeu.services.jobs.context import SERVICE, JobsContext
from eaeu.services.jobs.move_errors import (
    AttestationRefused,
    HeldNotFound,
    MoveError,
    PolicyRefused,
    ProductInvalid,
    ProductNotFound,
)
from eaeu.services.jobs.move_exchange import ask, exchange_of, payload_of, refused, require_receiver
from eaeu.services.jobs.move_model import (
    MAX_MONTHS,
    MinimumData,
    Mover,
    aware,
    months_later,
    parse_date,
)
from eaeu.services.jobs.move_orm import HeldPolicyRow, PolicyRow, ProductRow

log = get_logger("eaeu.jobs")

PRODUCTS: Final = "jobs.insurance.products"
BUY: Final = "jobs.insurance.buy"
PURPOSE: Final = "insurance.policy"
COVERS: Final = ("worker", "family")
#: How far ahead a policy may start.
START_HORIZON: Final = timedelta(days=365)
#: How long the receiver may keep the data the person consents to send (the policy's life).
DATA_LIFE_DAYS: Final = 3650
_MAX_PRICE: Final = 100_000_000
_MAX_TEXT: Final = 2000
#: A namespace for the ids of demonstration products, so that seeding is idempotent.
DEMO_NAMESPACE: Final = uuid.UUID("0c8e2f52-6a57-4d6e-9d3a-4b1f3c7a9e21")


@dataclass(frozen=True, slots=True)
class NewProduct:
    """An insurer's product as entered (the *publish product* command)."""

    name_en: str
    name_ru: str
    coverage_en: str
    coverage_ru: str
    covers: str
    price_month: int
    currency: str
    min_months: int = 1
    max_months: int = 12


@dataclass(frozen=True, slots=True)
class Product:
    """A medical insurance product on sale in ``state``."""

    id: str
    state: str
    insurer_ref: str
    insurer_name: str
    name_en: str
    name_ru: str
    coverage_en: str
    coverage_ru: str
    covers: str
    price_month: int
    currency: str
    min_months: int
    max_months: int
    active: bool = True

    def name(self, language: str) -> str:
        """The product's name in ``language``."""
        return self.name_ru if language == "ru" else self.name_en

    def coverage(self, language: str) -> str:
        """What the product covers, in ``language``."""
        return self.coverage_ru if language == "ru" else self.coverage_en

    def to_json(self) -> dict[str, Any]:
        """The product as the catalogue answers with it."""
        return {
            "id": self.id,
            "state": self.state,
            "insurer_ref": self.insurer_ref,
            "insurer_name": self.insurer_name,
            "name_en": self.name_en,
            "name_ru": self.name_ru,
            "coverage_en": self.coverage_en,
            "coverage_ru": self.coverage_ru,
            "covers": self.covers,
            "price_month": self.price_month,
            "currency": self.currency,
            "min_months": self.min_months,
            "max_months": self.max_months,
        }

    @classmethod
    def from_json(cls, data: Any) -> Product:
        """Read a product a destination's node sent.

        Raises:
            ValueError: a field is missing or of the wrong type.
        """
        if not isinstance(data, dict):
            msg = "a product is an object"
            raise ValueError(msg)  # noqa: TRY004 - one error type for every malformed field
        text = {k: data.get(k) for k in ("id", "state", "insurer_ref", "insurer_name", "name_en",
                                           "name_ru", "coverage_en", "coverage_ru", "covers",
                                           "currency")}  # fmt: skip
        numbers = {k: data.get(k) for k in ("price_month", "min_months", "max_months")}
        if not all(isinstance(v, str) for v in text.values()):
            msg = "a text field is missing"
            raise ValueError(msg)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in numbers.values()):
            msg = "a number field is missing"
            raise ValueError(msg)
        return cls(**text, **numbers)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class IssuedPolicy:
    """A policy an insurer of this state issued (the insurer's view)."""

    id: str
    product_id: str
    holder: MinimumData
    holder_state: str
    starts: date
    ends: date
    premium: int
    currency: str
    issued_at: datetime


@dataclass(frozen=True, slots=True)
class HeldPolicy:
    """A policy a person of this node holds, signed by the destination's node."""

    id: str
    destination: str
    product_id: str
    insurer_ref: str
    insurer_name: str
    product_name: str
    covers: str
    starts: date
    ends: date
    premium: int
    currency: str
    document: str
    received_at: datetime

    def covers_day(self, day: date) -> bool:
        """Whether the policy is in force on ``day``."""
        return self.starts <= day <= self.ends

    def name(self, language: str) -> str:
        """The product's name in ``language`` (Russian or English).

        The signed policy names the product in both languages; the name kept with the
        policy (``product_name``, English) is the fallback if the document cannot be read.
        """
        try:
            product = attestations.peek(self.document, attestations.POLICY).get("product")
        except AttestationRefused:
            return self.product_name
        value = product.get(f"name_{language}") if isinstance(product, dict) else None
        return value if isinstance(value, str) and value.strip() else self.product_name


class Insurance:
    """Medical insurance products and policies, on both sides of the border."""

    def __init__(self, ctx: JobsContext) -> None:
        self.ctx = ctx

    def __repr__(self) -> str:
        return f"Insurance(state={self.ctx.state!r})"

    # -- the insurer's side (this node's state is the destination) -----------------------
    def publish(
        self, insurer: Organisation, new: NewProduct, *, product_id: str | None = None
    ) -> Product:
        """Put a product of ``insurer`` (an organisation of this state) on sale.

        Raises:
            ProductInvalid: a field breaks a rule (every problem, by field).
        """
        check_product(new, self.ctx.state)
        now = self.ctx.clock.now()
        product = Product(
            id=product_id or str(uuid7()),
            state=self.ctx.state,
            insurer_ref=reference_of(insurer),
            insurer_name=insurer.name,
            name_en=new.name_en.strip(),
            name_ru=new.name_ru.strip(),
            coverage_en=new.coverage_en.strip(),
            coverage_ru=new.coverage_ru.strip(),
            covers=new.covers,
            price_month=new.price_month,
            currency=new.currency.upper(),
            min_months=new.min_months,
            max_months=new.max_months,
        )
        with self.ctx.uow() as uow:
            uow.session.add(
                ProductRow(
                    **{k: v for k, v in product.to_json().items() if k != "state"},
                    insurer_org_id=insurer.id,
                    active=True,
                    created_at=now,
                    updated_at=now,
                )
            )
            uow.commit()
        log.info("jobs.insurance.published", product=product.id)
        return product

    def withdraw(self, product_id: str, *, insurer_org_id: str) -> None:
        """Take a product of the insurer off sale (policies issued stay valid).

        Raises:
            ProductNotFound: the insurer has no such product.
        """
        with self.ctx.uow() as uow:
            row = uow.session.get(ProductRow, product_id)
            if row is None or row.insurer_org_id != insurer_org_id:
                raise ProductNotFound("Your organisation has no product with this id.")
            row.active, row.updated_at = False, self.ctx.clock.now()
            uow.commit()
        log.info("jobs.insurance.withdrawn", product=product_id)

    def products_of(self, insurer_org_id: str) -> list[Product]:
        """An insurer's products, on sale or not, newest first."""
        with self.ctx.uow() as uow:
            rows = uow.session.scalars(
                select(ProductRow)
                .where(ProductRow.insurer_org_id == insurer_org_id)
                .order_by(ProductRow.created_at.desc(), ProductRow.id)
            )
            return [self._product(row) for row in rows]

    def on_sale(self) -> list[Product]:
        """The products on sale in this state, cheapest first."""
        with self.ctx.uow() as uow:
            rows = uow.session.scalars(
                select(ProductRow)
                .where(ProductRow.active.is_(True))
                .order_by(ProductRow.price_month, ProductRow.id)
            )
            return [self._product(row) for row in rows]

    def issued_by(self, insurer_ref: str) -> list[IssuedPolicy]:
        """The policies an insurer of this state issued, newest first."""
        with self.ctx.uow() as uow:
            rows = uow.session.scalars(
                select(PolicyRow)
                .where(PolicyRow.insurer_ref == insurer_ref)
                .order_by(PolicyRow.issued_at.desc(), PolicyRow.id)
            )
            return [
                IssuedPolicy(
                    id=row.id,
                    product_id=row.product_id,
                    holder=MinimumData(
                        row.family_name_latin, row.given_name_latin, row.birth_date, row.nationality
                    ),
                    holder_state=row.holder_state,
                    starts=row.starts,
                    ends=row.ends,
                    premium=row.premium,
                    currency=row.currency,
                    issued_at=aware(row.issued_at),
                )
                for row in rows
            ]

    def issue(
        self,
        session: Session,
        *,
        product_id: str,
        holder: MinimumData,
        holder_state: str,
        starts: date,
        months: int,
        receiver: str | None,
        consent_id: str | None,
    ) -> str:
        """Issue a policy in the caller's transaction; return it signed.

        Args:
            session: the caller's session (the exchange handler's).
            product_id: the product bought.
            holder: the insured person's minimum data.
            holder_state: the state whose node asked (the person's home).
            starts: the first day of cover.
            months: the term.
            receiver: the organisation the person's consent names (must be the insurer).
            consent_id: the consent the data came under.

        Raises:
            ProductNotFound: no such product on sale.
            PolicyRefused: the term or start is outside what the product allows
                (``jobs.policy_term``, ``jobs.policy_start``), or the consent names another
                receiver (``jobs.consent_receiver``).
        """
        row = session.get(ProductRow, product_id)
        if row is None or not row.active:
            raise ProductNotFound("This insurance product is not on sale.")
        if receiver is not None and receiver != row.insurer_ref:
            raise PolicyRefused(
                "The consent names another organisation than this product's insurer.",
                reason="jobs.consent_receiver",
            )
        if not row.min_months <= months <= row.max_months:
            raise PolicyRefused(
                f"This product is sold for {row.min_months} to {row.max_months} months.",
                reason="jobs.policy_term",
            )
        now = self.ctx.clock.now()
        today = now.date()
        if starts < today or starts > today + START_HORIZON:
            raise PolicyRefused(
                "Cover can start from today up to a year ahead.", reason="jobs.policy_start"
            )
        ends = months_later(starts, months)
        policy_id = str(uuid7())
        premium = row.price_month * months
        product = self._product(row)
        document = attestations.sign(
            attestations.POLICY,
            {
                "jti": policy_id,
                "product": {
                    "id": product.id,
                    "name_en": product.name_en,
                    "name_ru": product.name_ru,
                    "coverage_en": product.coverage_en,
                    "coverage_ru": product.coverage_ru,
                    "covers": product.covers,
                },
                "insurer": {"ref": product.insurer_ref, "name": product.insurer_name},
                "holder": holder.to_json(),
                "starts": starts.isoformat(),
                "ends": ends.isoformat(),
                "premium": premium,
                "currency": product.currency,
            },
            exchange_of(self.ctx).signer,
            issuer=self.ctx.state,
            at=now,
        )
        session.add(
            PolicyRow(
                id=policy_id,
                product_id=product.id,
                insurer_ref=product.insurer_ref,
                holder_state=holder_state,
                family_name_latin=holder.family_name_latin,
                given_name_latin=holder.given_name_latin,
                birth_date=holder.birth_date,
                nationality=holder.nationality,
                starts=starts,
                ends=ends,
                premium=premium,
                currency=product.currency,
                consent_id=consent_id,
                document=document,
                issued_at=now,
            )
        )
        log.info("jobs.insurance.issued", policy=policy_id, product=product.id)
        return document

    # -- the worker's side (this node is the person's home) ------------------------------
    def products(self, destination: str) -> list[Product]:
        """The products on sale in ``destination``, asked from its node now.

        Raises:
            PeerNotAnswering: the destination's node did not answer.
            MessageRefused: it refused.
        """
        delivered = ask(self.ctx, destination, PRODUCTS, {})
        answer = delivered.response if isinstance(delivered.response, dict) else {}
        found: list[Product] = []
        for record in answer.get("products") or []:
            try:
                product = Product.from_json(record)
            except ValueError:
                log.warning("jobs.insurance.product_unreadable", peer=destination)
                continue
            if product.state == destination:
                found.append(product)
        return found

    def product(self, destination: str, product_id: str) -> Product:
        """One product on sale in ``destination``.

        Raises:
            ProductNotFound: not on sale there.
            PeerNotAnswering: the destination's node did not answer.
        """
        for product in self.products(destination):
            if product.id == product_id:
                return product
        raise ProductNotFound("This insurance product is not on sale.")

    def consent_request(self, product: Product, *, now: datetime | None = None) -> ConsentRequest:
        """What the person is asked to consent to before buying ``product``."""
        moment = (now or self.ctx.clock.now()).replace(microsecond=0)
        return ConsentRequest(
            requester_state=product.state,
            requester_organisation=product.insurer_ref,
            requester_organisation_name=product.insurer_name,
            requester_service=SERVICE,
            purpose=PURPOSE,
            categories=("identity",),
            valid_until=moment + timedelta(days=1),
            data_life_days=DATA_LIFE_DAYS,
        )

    def buy(
        self, mover: Mover, product: Product, *, starts: date, months: int, consent: str | None
    ) -> HeldPolicy:
        """Buy ``product`` for ``mover`` under the consent they gave; keep the signed policy.

        Raises:
            PolicyRefused: ``jobs.policy_term`` — a term the product does not offer.
            MessageRefused: the consent does not cover it (``consent.*``, refused here
                before anything leaves) or the destination refused (``jobs.*``).
            PeerNotAnswering: the destination's node did not answer.
            AttestationRefused: the answer is not a policy signed by the destination's node
                for what was asked.
        """
        if not 1 <= months <= MAX_MONTHS:
            raise PolicyRefused(
                f"A policy is bought for 1 to {MAX_MONTHS} months.", reason="jobs.policy_term"
            )
        delivered = ask(
            self.ctx,
            product.state,
            BUY,
            {
                "product_id": product.id,
                "starts": starts.isoformat(),
                "months": months,
                "holder": mover.data.to_json(),
            },
            consent=consent,
            purpose=PURPOSE,
        )
        answer = delivered.response if isinstance(delivered.response, dict) else {}
        token = answer.get("policy")
        claims = attestations.verify(
            str(token), attestations.POLICY, self.ctx.trust(), issuer=product.state
        )
        if (
            claims.get("holder") != mover.data.to_json()
            or not isinstance(claims.get("product"), dict)
            or claims["product"].get("id") != product.id
            or claims.get("starts") != starts.isoformat()
        ):
            raise AttestationRefused(
                "The policy returned is not for what was asked.", reason="jobs.attestation_content"
            )
        try:
            ends = parse_date(claims.get("ends"))
            premium = int(claims.get("premium", 0))
        except (TypeError, ValueError):
            raise AttestationRefused(
                "The policy returned cannot be read.", reason="jobs.attestation_content"
            ) from None
        held = HeldPolicy(
            id=str(claims["jti"]),
            destination=product.state,
            product_id=product.id,
            insurer_ref=product.insurer_ref,
            insurer_name=product.insurer_name,
            product_name=product.name_en,
            covers=product.covers,
            starts=starts,
            ends=ends,
            premium=premium,
            currency=product.currency,
            document=str(token),
            received_at=self.ctx.clock.now(),
        )
        with self.ctx.uow() as uow:
            uow.session.add(
                HeldPolicyRow(
                    id=held.id,
                    person_id=mover.person_id,
                    destination=held.destination,
                    product_id=held.product_id,
                    insurer_ref=held.insurer_ref,
                    insurer_name=held.insurer_name,
                    product_name=held.product_name,
                    covers=held.covers,
                    starts=held.starts,
                    ends=held.ends,
                    premium=held.premium,
                    currency=held.currency,
                    document=held.document,
                    message_id=delivered.message_id,
                    received_at=held.received_at,
                )
            )
            uow.commit()
        log.info("jobs.insurance.bought", policy=held.id, destination=held.destination)
        return held

    def held(self, person_id: str) -> list[HeldPolicy]:
        """The policies a person of this node holds, the latest cover first."""
        with self.ctx.uow() as uow:
            rows = uow.session.scalars(
                select(HeldPolicyRow)
                .where(HeldPolicyRow.person_id == person_id)
                .order_by(HeldPolicyRow.starts.desc(), HeldPolicyRow.id)
            )
            return [_held(row) for row in rows]

    def held_policy(self, person_id: str, policy_id: str) -> HeldPolicy:
        """One policy of the person.

        Raises:
            HeldNotFound: they hold no policy with this id (``jobs.policy_not_found``).
        """
        with self.ctx.uow() as uow:
            row = uow.session.get(HeldPolicyRow, policy_id)
            if row is None or row.person_id != person_id:
                raise HeldNotFound(
                    "You hold no policy with this number.", reason="jobs.policy_not_found"
                )
            return _held(row)

    def verify(self, document: str) -> dict[str, Any]:
        """Verify a policy document against the union trust list; return its claims.

        Raises:
            AttestationRefused: it does not verify.
        """
        return attestations.verify(document, attestations.POLICY, self.ctx.trust())

    # -- exchange --------------------------------------------------------------------------
    def handlers(self) -> dict[str, Handler]:
        """The exchange handlers of this part (message type → handler)."""
        return {PRODUCTS: self._on_products, BUY: self._on_buy}

    def _on_products(self, incoming: Incoming) -> dict[str, Any]:  # noqa: ARG002 - the protocol
        return {"products": [product.to_json() for product in self.on_sale()]}

    def _on_buy(self, incoming: Incoming) -> dict[str, Any]:
        payload = payload_of(incoming)
        try:
            holder = MinimumData.from_json(payload.get("holder"))
            starts = parse_date(payload.get("starts"))
            months = payload.get("months")
            product_id = payload.get("product_id")
            if not isinstance(months, int) or not isinstance(product_id, str):
                raise TypeError("months")  # noqa: TRY301 - one path for malformed fields
        except (TypeError, ValueError) as exc:
            raise MessageRefused(
                f"the request is malformed ({exc})", reason="exchange.malformed"
            ) from None
        product = incoming.session.get(ProductRow, product_id)
        if product is None:
            raise MessageRefused("this product is not on sale", reason="jobs.product_not_found")
        consent_id = require_receiver(incoming, product.insurer_ref)
        try:
            document = self.issue(
                incoming.session,
                product_id=product_id,
                holder=holder,
                holder_state=incoming.sender_state,
                starts=starts,
                months=months,
                receiver=product.insurer_ref,
                consent_id=consent_id,
            )
        except MoveError as exc:
            raise refused(exc) from None
        return {"policy": document}

    # -- demonstration data ----------------------------------------------------------------
    def seed_demo(self) -> None:
        """Put the demonstration insurer's products of this state on sale (idempotent)."""
        from eaeu.identity.seed import ORGANISATIONS  # noqa: PLC0415 - development only

        accounts = Accounts(self.ctx.uow, self.ctx.clock)
        currency = MEMBER_STATES[self.ctx.state].currency
        for demo in ORGANISATIONS.get(self.ctx.state, ()):
            if demo.kind != "insurer":
                continue
            insurer = accounts.organisation_by_legal_id(demo.legal_id)
            if insurer is None:
                continue
            for key, new in demo_products(currency):
                product_id = str(uuid.uuid5(DEMO_NAMESPACE, f"{self.ctx.state}/{key}"))
                with self.ctx.uow() as uow:
                    exists = uow.session.get(ProductRow, product_id) is not None
                if not exists:
                    self.publish(insurer, new, product_id=product_id)

    def _product(self, row: ProductRow) -> Product:
        return Product(
            id=row.id,
            state=self.ctx.state,
            insurer_ref=row.insurer_ref,
            insurer_name=row.insurer_name,
            name_en=row.name_en,
            name_ru=row.name_ru,
            coverage_en=row.coverage_en,
            coverage_ru=row.coverage_ru,
            covers=row.covers,
            price_month=row.price_month,
            currency=row.currency,
            min_months=row.min_months,
            max_months=row.max_months,
            active=row.active,
        )


def reference_of(organisation: Organisation) -> str:
    """The reference a consent names an organisation by (``RU-OGRN-1037739013234``)."""
    return organisation_ref(organisation.state, organisation.legal_id_kind, organisation.legal_id)


def check_product(new: NewProduct, state: str) -> None:
    """Return if a product can be put on sale in ``state``.

    Raises:
        ProductInvalid: every problem, by field.
    """
    problems: dict[str, str] = {}
    for name in ("name_en", "name_ru"):
        value = getattr(new, name).strip()
        if not value or len(value) > 200:  # noqa: PLR2004 - the column's size
            problems[name] = "Give the product's name (at most 200 characters)."
    for name in ("coverage_en", "coverage_ru"):
        value = getattr(new, name).strip()
        if not value or len(value) > _MAX_TEXT:
            problems[name] = f"Say what is covered (at most {_MAX_TEXT} characters)."
    if new.covers not in COVERS:
        problems["covers"] = "Say whether it covers the worker only or the worker and family."
    if not 0 < new.price_month <= _MAX_PRICE:
        problems["price_month"] = "Give a price per month greater than zero."
    if new.currency.upper() != MEMBER_STATES[state].currency:
        problems["currency"] = f"Products here are priced in {MEMBER_STATES[state].currency}."
    if not 1 <= new.min_months <= new.max_months <= MAX_MONTHS:
        problems["max_months"] = f"The term is 1 to {MAX_MONTHS} months, the shortest first."
    if problems:
        raise ProductInvalid(problems)


def demo_products(currency: str) -> list[tuple[str, NewProduct]]:
    """The demonstration products every state's insurer sells, priced in ``currency``."""
    scale = {"RUB": 1, "KZT": 5, "BYN": 0.04, "AMD": 4, "KGS": 1}.get(currency, 1)
    return [
        (
            "worker",
            NewProduct(
                name_en="Worker's health cover (VHI)",
                name_ru="ДМС для работника",
                coverage_en="Outpatient and inpatient care, emergency dental care and "
                "transport, from the first day of the stay until the compulsory insurance "
                "covers you.",
                coverage_ru="Амбулаторная и стационарная помощь, экстренная стоматология и "
                "транспортировка с первого дня пребывания до начала действия обязательного "
                "страхования.",
                covers="worker",
                price_month=max(1, round(1500 * scale)),
                currency=currency,
                min_months=1,
                max_months=12,
            ),
        ),
        (
            "family",
            NewProduct(
                name_en="Family health cover (VHI)",
                name_ru="ДМС для работника и семьи",
                coverage_en="The worker's cover, and outpatient and inpatient care for a "
                "spouse and children living with the worker.",
                coverage_ru="Защита работника, а также амбулаторная и стационарная помощь "
                "супругу и детям, проживающим с работником.",
                covers="family",
                price_month=max(1, round(4200 * scale)),
                currency=currency,
                min_months=3,
                max_months=12,
            ),
        ),
    ]


def _held(row: HeldPolicyRow) -> HeldPolicy:
    return HeldPolicy(
        id=row.id,
        destination=row.destination,
        product_id=row.product_id,
        insurer_ref=row.insurer_ref,
        insurer_name=row.insurer_name,
        product_name=row.product_name,
        covers=row.covers,
        starts=row.starts,
        ends=row.ends,
        premium=row.premium,
        currency=row.currency,
        document=row.document,
        received_at=aware(row.received_at),
    )


__all__ = [
    "BUY",
    "PRODUCTS",
    "PURPOSE",
    "HeldPolicy",
    "Insurance",
    "IssuedPolicy",
    "NewProduct",
    "Product",
    "check_product",
    "demo_products",
    "reference_of",
]
