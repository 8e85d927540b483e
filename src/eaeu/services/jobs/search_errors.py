"""Errors of vacancy search, saved searches and alerts.

Exception tree::

    PlatformError
     └── SearchError               jobs.search_*
          ├── SearchInvalid        jobs.search_invalid: a query parameter out of range or
          │                        not one of the listed values (also a ValidationError;
          │                        ``field`` names it)
          ├── SavedSearchInvalid   jobs.saved_search_invalid (also a ValidationError)
          └── SavedSearchNotFound  jobs.saved_search_not_found: not this person's, or gone
                                   (also a NotFound)
"""

from __future__ import annotations

from eaeu.kernel.errors import NotFound, PlatformError, ValidationError


class SearchError(PlatformError):
    """Base class of the search errors."""

    reason = "jobs.search_error"


class SearchInvalid(SearchError, ValidationError):
    """A search parameter that cannot be used.

    Args:
        field: the parameter's name.
        message: what is wrong, in a sentence a person understands.
    """

    reason = "jobs.search_invalid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class SavedSearchInvalid(SearchError, ValidationError):
    """A saved search that cannot be stored (no name, too many searches)."""

    reason = "jobs.saved_search_invalid"


class SavedSearchNotFound(SearchError, NotFound):
    """No saved search of this person's has this id."""

    reason = "jobs.saved_search_not_found"
