"""Trend plots with the warning and critical bands drawn, the way every catalog plot shows them."""

from .checks import COLOURS
from .units import number


def _time_axis(ax) -> None:
    """Times on the x axis as UTC clock times, not epoch numbers."""
    import matplotlib.dates as mdates

    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d %H:%M", tz="UTC"))
    ax.set_xlabel("time (UTC)")


def with_bands(series, warn=None, critical=None, title: str = "", ylabel: str = "", kind: str = "line", higher_is_worse: bool = True):
    """Plot a time series (pandas Series or {label: Series}) over shaded WARN/CRITICAL bands; returns the figure."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 3.2))
    lines = series if isinstance(series, dict) else {ylabel or "value": series}
    top = max([float(s.max()) for s in lines.values() if len(s)] + [v for v in (warn, critical) if v is not None] + [1.0]) * 1.15
    if higher_is_worse:
        if warn is not None:
            ax.axhspan(warn, critical if critical is not None else top, color=COLOURS["WARN"], alpha=0.12, label=f"warning ≥ {number(warn)}")
        if critical is not None:
            ax.axhspan(critical, top, color=COLOURS["CRITICAL"], alpha=0.12, label=f"critical ≥ {number(critical)}")
    else:
        if warn is not None:
            ax.axhspan(critical if critical is not None else 0, warn, color=COLOURS["WARN"], alpha=0.12, label=f"warning ≤ {number(warn)}")
        if critical is not None:
            ax.axhspan(0, critical, color=COLOURS["CRITICAL"], alpha=0.12, label=f"critical ≤ {number(critical)}")
    for label, s in lines.items():
        if kind == "bar":
            width = (s.index[1] - s.index[0]) * 0.8 if len(s) > 1 else 0.01
            ax.bar(s.index, s.values, width=width, label=label, color="#0969da")
        else:
            ax.plot(s.index, s.values, label=label, linewidth=1.4)
    ax.set_ylim(0, top)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    if all(getattr(s.index, "tz", None) is not None or str(s.index.dtype).startswith("datetime") for s in lines.values()):
        _time_axis(ax)
    fig.autofmt_xdate()
    fig.tight_layout()
    plt.close(fig)  # shown once, by the cell's display, not again by the inline backend
    return fig


def stacked_with_bands(frame, warn=None, critical=None, title: str = "", ylabel: str = ""):
    """Daily amounts stacked by column (e.g. cost by service) with bands on the total; returns the figure."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 3.6))
    top = max([float(frame.sum(axis=1).max())] + [v for v in (warn, critical) if v is not None] + [1.0]) * 1.15
    if warn is not None:
        ax.axhspan(warn, critical if critical is not None else top, color=COLOURS["WARN"], alpha=0.12, label=f"warning ≥ {number(warn)}")
    if critical is not None:
        ax.axhspan(critical, top, color=COLOURS["CRITICAL"], alpha=0.12, label=f"critical ≥ {number(critical)}")
    order = frame.sum().sort_values(ascending=False).index
    ax.stackplot(frame.index, [frame[c].values for c in order], labels=list(order), alpha=0.85, colors=plt.cm.tab20.colors[: len(order)])
    ax.set_ylim(0, top)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=7, ncol=3)
    fig.autofmt_xdate()
    fig.tight_layout()
    plt.close(fig)
    return fig


MARKS = {"declared": ("#cf222e", "declared"), "resolved": ("#1a7f37", "resolved"), "run": ("#57606a", "run"),
         "applied": ("#8250df", "action applied"), "failed": ("#8250df", "action failed"), "update": ("#0969da", "update"),
         "changed": ("#bf8700", "deployed or changed"), "alarm": ("#fb8f44", "alarm state")}


def distinct(events: list) -> list:
    """One mark per kind a minute: a release's three changes, or a batch of runs, are one line, not a smear."""
    seen, out = set(), []
    for e in events:
        key = (e.kind, e.at.replace(second=0, microsecond=0))
        if e.kind in MARKS and key not in seen:
            seen.add(key)
            out.append(e)
    return out


def incident(series: dict, events: list, title: str):
    """The incident on one time axis: each key series in its own panel, and a line at each release or change,
    run, action, update, declaration and resolution (one a kind a minute), so a reader sees what was done when."""
    import matplotlib.pyplot as plt

    panels = [(label, s) for label, s in series.items()] or [("(no key metrics for this service)", None)]
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 2.6 * len(panels) + 0.6), sharex=True, squeeze=False)
    for ax, (label, s) in zip(axes[:, 0], panels):
        if s is not None and len(s):
            ax.plot(s.index, s.values, linewidth=1.4, color="#24292f")
        ax.set_ylabel(label, fontsize=8)
        ax.grid(alpha=0.3)
        shown = set()
        for e in distinct(events):
            if e.kind in MARKS:
                colour, name = MARKS[e.kind]
                ax.axvline(e.at, color=colour, linestyle="--" if e.kind == "run" else "-", alpha=0.8, linewidth=1.2,
                           label=None if name in shown else name)
                shown.add(name)
    axes[0, 0].set_title(title)
    axes[0, 0].legend(loc="upper left", fontsize=7, ncol=6)
    _time_axis(axes[-1, 0])
    fig.autofmt_xdate()
    fig.tight_layout()
    plt.close(fig)
    return fig
