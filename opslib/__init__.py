"""Executable runbook notebooks for cloud operations.

Kept import-free: the CLI and every notebook kernel import this first, and start-up time
is paid on every run.
"""

__version__ = "0.1.0"


def keep_out_iri_grammar() -> None:
    """jsonschema builds an IRI grammar at import (1-4 s of CPU) when rfc3987_syntax is importable;
    nothing here validates IRIs (nbformat's notebooks, moto's OpenAPI specs). Call before anything
    imports jsonschema."""
    import sys

    sys.modules.setdefault("rfc3987_syntax", None)
