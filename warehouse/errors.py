"""Errors raised by the warehouse.

WarehouseError
 +-- DatabaseUnavailable   the database cannot be reached; retry later
 +-- MigrationError        a migration file failed or is out of order
 +-- NotFound              a row does not exist in the caller's customer
 +-- Conflict              a write would break an invariant
 +-- LakeError             the Parquet lake cannot be read or written
 +-- MartsError            the DuckDB marts cannot be built or read
      +-- MartsNotBuilt    no marts have been published yet
      +-- CheckFailed      a check found marts that must not be published
"""


class WarehouseError(Exception):
    """Base class of every warehouse error."""


class DatabaseUnavailable(WarehouseError):
    """The database did not answer in time or refused the connection."""


class MigrationError(WarehouseError):
    """A migration could not be applied."""


class NotFound(WarehouseError):
    """The row does not exist, or belongs to another customer."""


class Conflict(WarehouseError):
    """The write would break an invariant; the message says which."""


class LakeError(WarehouseError):
    """The Parquet lake cannot be read or written as asked."""


class MartsError(WarehouseError):
    """The DuckDB marts cannot be built or read."""


class MartsNotBuilt(MartsError):
    """No marts have been published yet; run the pipeline or `stereos backfill`."""


class CheckFailed(MartsError):
    """A check on staged marts failed, so they were not published."""
