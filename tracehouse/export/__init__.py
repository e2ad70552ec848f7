"""Training data from the warehouse: `tracehouse export`.

- convert.py: one message between the Hermes text and the `messages` entries, both ways
  (`messages_to_sharegpt`, the inverse the lossless round trip rests on).
- source.py: what is read from the warehouse (conversations, then text, blocks and pairing
  a batch at a time).
- formats.py: the rows of each format; tokens.py: token counts (the `train` extra).
- writer.py: the export itself; manifest.py: the manifest beside it.
"""

from tracehouse.export.convert import messages_to_sharegpt, openai_to_messages
from tracehouse.export.options import FORMATS, TOOLS_PLACES, ExportOptions
from tracehouse.export.writer import ExportResult, export

__all__ = [
    "FORMATS",
    "TOOLS_PLACES",
    "ExportOptions",
    "ExportResult",
    "export",
    "messages_to_sharegpt",
    "openai_to_messages",
]
