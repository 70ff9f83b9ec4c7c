"""Write a notebook from a compact cell list: markdown strings start with '#', code otherwise.

Used when authoring notebooks so they are committed clean (no outputs, no execution counts).
"""

import sys

import nbformat


def build(cells: list[tuple[str, str]], path: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, (kind, source) in enumerate(cells):
        source = source.strip("\n")
        if kind == "md":
            cell = nbformat.v4.new_markdown_cell(source)
        else:
            cell = nbformat.v4.new_code_cell(source)
            if kind == "params":
                cell.metadata["tags"] = ["parameters"]
        cell.id = f"c{i:02d}"
        nb.cells.append(cell)
    nbformat.validate(nb)
    nbformat.write(nb, path)


if __name__ == "__main__":
    namespace: dict = {}
    exec(open(sys.argv[1]).read(), namespace)
    build(namespace["CELLS"], sys.argv[2])
