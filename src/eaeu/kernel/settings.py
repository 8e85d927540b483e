"""Node settings, read once from the environment by the composition root.

Every setting has the prefix ``EAEU_`` (``EAEU_DATABASE_URL``, ``EAEU_STATE``…). Nothing
else in the code reads the environment: ``Settings`` is built in ``eaeu.bootstrap`` and
passed down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from eaeu.kernel.errors import ConfigurationError
from eaeu.kernel.states import MEMBER_STATES

#: The development passphrase; refused for keys and sessions outside development mode.
DEVELOPMENT_SECRET = "development-only-not-a-secret"  # noqa: S105 - a published placeholder

#: A file in a data directory made by ``eaeu up``: a development federation on one machine.
DEVELOPMENT_MARKER = "DEVELOPMENT"

#: The shortest secret accepted outside development mode.
MIN_SECRET_LENGTH = 32

LogFormat = Literal["console", "json"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class Settings(BaseSettings):
    """Everything a node or the union portal needs to start.

    Attributes:
        state: the member state this node serves (``KZ``), or ``None`` for the union portal.
        development: development mode; allows the placeholder secret and shows detail pages.
        data_dir: where the node keeps its SQLite file and keys.
        database_url: SQLAlchemy URL; defaults to ``sqlite:///<data_dir>/<state>.db``.
        public_url: the base URL other nodes and people use to reach this node.
        secret_key: signs session cookies and encrypts keys at rest.
        federation_file: the ``federation.json`` written by ``eaeu up`` (peer URLs).
        log_level, log_format: structlog output.
        trust_pin: SHA-256 digest the first union trust list must have (optional pin).
        operator_token: bearer token of the operator API; without one, only a development
            node answers operator calls, and only from the loopback interface.
        exchange_window_s: how old a received envelope may be (replay window).
        exchange_retry_base_s, exchange_retry_cap_s, exchange_max_attempts: outbox retries.
        exchange_poll_s: how often an idle delivery worker looks for due messages.
        exchange_lease_s: how long a worker holds a claimed message; longer than the
            transport's 10 s timeout, so a slow attempt is never sent twice at once.
        jobs_feed_interval_s: how often the delivery worker pulls each jobs peer's vacancy
            feed (the operator can also pull at once, from ``/jobs/feed``).
    """

    model_config = SettingsConfigDict(env_prefix="EAEU_", extra="ignore", frozen=True)

    state: str | None = None
    development: bool = False
    data_dir: Path = Path("var")
    database_url: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    federation_file: Path | None = None
    log_level: LogLevel = "INFO"
    log_format: LogFormat = "console"
    default_language: Literal["en", "ru"] = "en"
    workers: int = Field(default=1, ge=1, le=64)
    trust_pin: str | None = None
    operator_token: SecretStr | None = None
    exchange_window_s: float = Field(default=300.0, gt=0)
    exchange_retry_base_s: float = Field(default=1.0, gt=0)
    exchange_retry_cap_s: float = Field(default=300.0, gt=0)
    exchange_max_attempts: int = Field(default=10, ge=1)
    exchange_poll_s: float = Field(default=0.5, gt=0)
    exchange_lease_s: float = Field(default=30.0, gt=10)
    jobs_feed_interval_s: float = Field(default=60.0, gt=0)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("state")
    @classmethod
    def _known_state(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.upper()
        if code not in MEMBER_STATES:
            known = ", ".join(sorted(MEMBER_STATES))
            msg = f"unknown member state {value!r}; expected one of {known}"
            raise ValueError(msg)
        return code

    @model_validator(mode="after")
    def _no_placeholder_secret_in_production(self) -> Settings:
        if self.development:
            return self
        secret = self.secret_key.get_secret_value()
        if secret == DEVELOPMENT_SECRET:
            msg = (
                "EAEU_SECRET_KEY is the development placeholder; set a real secret "
                "or EAEU_DEVELOPMENT=1 for a development node"
            )
            raise ValueError(msg)
        if len(secret) < MIN_SECRET_LENGTH:
            msg = f"EAEU_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters long"
            raise ValueError(msg)
        return self

    @property
    def effective_database_url(self) -> str:
        """The database URL in force: the configured one, or the node's SQLite file."""
        if self.database_url:
            return self.database_url
        name = (self.state or "portal").lower()
        return f"sqlite:///{(self.data_dir / f'{name}.db').as_posix()}"

    @property
    def effective_federation_file(self) -> Path:
        """The federation document: the configured one, or ``<data_dir>/federation.json``."""
        return self.federation_file or self.data_dir / "federation.json"


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment plus explicit overrides.

    Raises:
        ConfigurationError: a value is invalid; the message names the variable.
    """
    from pydantic import ValidationError as PydanticValidationError  # noqa: PLC0415

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except PydanticValidationError as exc:
        problems = "; ".join(
            f"EAEU_{'_'.join(str(p) for p in err['loc']).upper() or 'SETTINGS'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigurationError(problems, reason="config.invalid") from None
