"""Errors of the ingest that name what was wrong with the input (light to import)."""


class IngestError(ValueError):
    """Bad input the user can fix; nothing was written."""


class SourceError(IngestError):
    """The source cannot be loaded: the message names what is wrong."""


class SchemaError(IngestError):
    """The dataset has no usable conversation column: nothing can be ingested."""
