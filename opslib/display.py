"""Tables a responder reads at a glance: a status column in the colours of the check table."""

from .checks import COLOURS

STATE_COLOURS = {"ALARM": COLOURS["CRITICAL"], "INSUFFICIENT_DATA": COLOURS["WARN"], "OK": COLOURS["OK"], **COLOURS}


def status_table(frame, column: str, caption: str = ""):
    """A pandas Styler: `column` as white text on its status colour; renders in JupyterLab and the HTML evidence."""

    def paint(value):
        colour = STATE_COLOURS.get(str(value))
        return f"background-color:{colour};color:white;font-weight:bold" if colour else ""

    styler = frame.style.map(paint, subset=[column]).hide(axis="index")
    return styler.set_caption(caption) if caption else styler
