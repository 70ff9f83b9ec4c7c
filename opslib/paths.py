"""Where things live: the project root, the notebooks, the parameters, the runs."""

import os
from pathlib import Path


def project_root() -> Path:
    """`OPSLIB_HOME`, else the nearest folder up from here or the cwd holding notebooks/ and parameters/."""
    if os.environ.get("OPSLIB_HOME"):
        return Path(os.environ["OPSLIB_HOME"]).resolve()
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        for folder in (start, *start.parents):
            if (folder / "notebooks").is_dir() and (folder / "parameters").is_dir():
                return folder
    return Path(__file__).resolve().parent.parent


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def parameters_dir() -> Path:
    return project_root() / "parameters"


def runs_dir(explicit: str | os.PathLike | None = None) -> Path:
    """`--runs-dir`, else `OPSLIB_RUNS_DIR`, else the project's runs/: the same folder wherever a
    command is started, and the one JupyterLab sessions journal to."""
    chosen = explicit or os.environ.get("OPSLIB_RUNS_DIR")
    return Path(chosen).resolve() if chosen else project_root() / "runs"
