"""Executable runbook notebooks for cloud operations.

Kept import-free: the CLI and every notebook kernel import this first, and start-up time
is paid on every run.
"""

__version__ = "0.1.0"
