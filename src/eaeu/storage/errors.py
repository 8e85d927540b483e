"""Storage errors.

Exception tree::

    PlatformError
     └── ConfigurationError
          ├── DatabaseUnavailable     the database URL is malformed or the server cannot be reached
          └── WrongNodeDatabase       the database belongs to another node
"""

from __future__ import annotations

from eaeu.kernel.errors import ConfigurationError


class DatabaseUnavailable(ConfigurationError):
    """The database URL is malformed, its driver is missing, or the server cannot be reached."""

    reason = "database.unavailable"


class WrongNodeDatabase(ConfigurationError):
    """The database was created by another state's node."""

    reason = "database.wrong_node"
