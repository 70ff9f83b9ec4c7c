"""The filed HTML highlights code and loads compiled templates from caches between runs, and is the same page either way."""

import json

from conftest import ROOT


def test_cached_highlighting_gives_the_same_page_and_fills_the_cache(tmp_path, monkeypatch):
    import nbformat
    from nbconvert import HTMLExporter

    from opslib import html_cache
    from opslib.runner import _HtmlRenderer

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    nb = nbformat.reads(json.dumps(json.loads((ROOT / "notebooks" / "health" / "daily-health-check.ipynb").read_text())), as_version=4)
    plain, _ = HTMLExporter(extra_template_basedirs=[str(ROOT / "opslib" / "templates")], template_name="evidence").from_notebook_node(nb)
    first, _ = _HtmlRenderer._make().from_notebook_node(nb)
    kept = sorted(html_cache.folder().rglob("*.html"))
    code_cells = sum(c.cell_type == "code" for c in nb.cells)
    assert first == plain and 0 < len(kept) <= code_cells
    compiled = sorted(html_cache.folder("jinja").glob("*.cache"))
    assert compiled, "no template bytecode kept"
    assert _HtmlRenderer._make().from_notebook_node(nb)[0] == plain  # from the templates' bytecode
    (kept[0]).write_text("<pre>from the cache</pre>")  # the next rendering reads it back instead of highlighting again
    again, _ = _HtmlRenderer._make().from_notebook_node(nb)
    assert again.count("<pre>from the cache</pre>") == 1
