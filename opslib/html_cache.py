"""What rendering a run's HTML can keep between runs: highlighted code cells and compiled templates.

Highlighting the code cells was half of rendering a run's HTML (pygments, about 0.4 s a run), and
a notebook's code is the same run after run (only the injected parameters change). Each cell's
HTML is kept under ~/.cache/opslib/highlight (XDG_CACHE_HOME respected), keyed by its source, the
lexer and the pygments and nbconvert versions, so a rerun highlights only what changed; the same
for sanitizing it (~/.cache/opslib/clean). Compiling
nbconvert's Jinja templates cost another 0.35 s a run: their bytecode is kept under
~/.cache/opslib/jinja (Jinja checks each template's source against it). A cache that cannot be
written is only slower.
"""

import hashlib
import os
import threading
from pathlib import Path


def folder(kind: str = "highlight") -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "opslib" / kind


def _kept(kind: str, key_text: str, compute):
    """`compute()`'s text, kept under folder(kind) by a hash of `key_text` (everything it depends on)."""
    key = hashlib.sha256(key_text.encode()).hexdigest()
    path = folder(kind) / key[:2] / f"{key}.html"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        pass
    html = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{key}.{os.getpid()}-{threading.get_ident()}.tmp")  # a batch renders in threads
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass
    return html


class CachedHighlight:
    """A drop-in for nbconvert's `highlight_code` filter."""

    def __init__(self, plain):
        import nbconvert
        import pygments

        self.plain, self.versions = plain, f"{pygments.__version__}|{nbconvert.__version__}"

    def __call__(self, source, language=None, metadata=None):
        return _kept("highlight", f"{self.versions}|{language or self.plain.pygments_lexer}|{source}", lambda: self.plain(source, language, metadata))


def cached_clean_html(element) -> str:
    """nbconvert's `clean_html` (bleach), kept like the highlighting: code and markdown cells are the same
    run after run, and sanitizing them was a fifth of rendering a run's HTML. Outputs change and are sanitized each time."""
    import bleach
    import nbconvert
    from nbconvert.filters.strings import clean_html

    text = element.decode() if isinstance(element, bytes) else str(element)
    return _kept("clean", f"{bleach.__version__}|{nbconvert.__version__}|{text}", lambda: clean_html(text))


def html_exporter(**kw):
    """nbconvert's HTMLExporter, highlighting through the cache with the lexer it would pick itself
    (the notebook's language_info)."""
    from nbconvert import HTMLExporter
    from nbconvert.filters.highlight import Highlight2HTML

    class Exporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **more):
            info = nb.metadata.get("language_info", {})
            plain = Highlight2HTML(pygments_lexer=info.get("pygments_lexer", info.get("name")), parent=self)
            self.filters = {**self.filters, "highlight_code": CachedHighlight(plain), "clean_html": cached_clean_html}
            return super().from_notebook_node(nb, resources, **more)

        def _create_environment(self):
            from jinja2 import FileSystemBytecodeCache

            environment = super()._create_environment()
            try:
                folder("jinja").mkdir(parents=True, exist_ok=True)
                environment.bytecode_cache = FileSystemBytecodeCache(str(folder("jinja")))
            except OSError:
                pass
            return environment

    return Exporter(**kw)
