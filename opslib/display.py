"""Tables a responder reads at a glance: a status column in the colours of the check table."""

from .checks import COLOURS

STATE_COLOURS = {"ALARM": COLOURS["CRITICAL"], "INSUFFICIENT_DATA": COLOURS["WARN"], "OK": COLOURS["OK"], **COLOURS}


def styled(frame):
    """A pandas Styler whose cells are escaped (a Styler renders them as HTML unless told): what a responder typed is
    shown, never run."""
    return frame.style.format(escape="html").hide(axis="index")


def status_table(frame, column: str, caption: str = ""):
    """A pandas Styler: `column` as white text on its status colour; renders in JupyterLab and the HTML evidence."""

    def paint(value):
        colour = STATE_COLOURS.get(str(value))
        return f"background-color:{colour};color:white;font-weight:bold" if colour else ""

    styler = styled(frame).map(paint, subset=[column])
    return styler.set_caption(caption) if caption else styler
