"""HTML a person reads, from templates with autoescape on: text from AWS, parameters or records is
escaped by the template, never by hand in an f-string."""

from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=None)
def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates" / "pages"), autoescape=True)


def render(name: str, **context) -> str:
    return _environment().get_template(name).render(**context)
