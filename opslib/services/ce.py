"""Cost Explorer."""

from datetime import date, timedelta


def daily_cost(aws, days: int, end: date | None = None, metric: str = "BlendedCost") -> list[tuple[str, float]]:
    """(day, cost) for each of the `days` full days before `end` (default today), oldest first."""
    end = end or date.today()
    start = end - timedelta(days=days)
    client = aws.client("ce")
    out, token = [], None
    while True:
        kwargs = {"TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()}, "Granularity": "DAILY", "Metrics": [metric]}
        if token:
            kwargs["NextPageToken"] = token
        resp = client.get_cost_and_usage(**kwargs)
        for period in resp.get("ResultsByTime", []):
            out.append((period["TimePeriod"]["Start"], float(period["Total"][metric]["Amount"])))
        token = resp.get("NextPageToken")
        if not token:
            return out


def cost_by(aws, days: int, group: str = "SERVICE", end: date | None = None, metric: str = "UnblendedCost"):
    """Daily cost per SERVICE (or USAGE_TYPE) for the `days` full days before `end`, all pages:
    a pandas DataFrame, one row per day, one column per group."""
    import pandas as pd

    end = end or date.today()
    client = aws.client("ce")
    rows, token = {}, None
    while True:
        kwargs = {"TimePeriod": {"Start": (end - timedelta(days=days)).isoformat(), "End": end.isoformat()}, "Granularity": "DAILY",
                  "Metrics": [metric], "GroupBy": [{"Type": "DIMENSION", "Key": group}]}
        if token:
            kwargs["NextPageToken"] = token
        resp = client.get_cost_and_usage(**kwargs)
        for period in resp.get("ResultsByTime", []):
            rows[period["TimePeriod"]["Start"]] = {g["Keys"][0]: float(g["Metrics"][metric]["Amount"]) for g in period.get("Groups", [])}
        token = resp.get("NextPageToken")
        if not token:
            frame = pd.DataFrame.from_dict(rows, orient="index").fillna(0.0).sort_index()
            frame.index = pd.to_datetime(frame.index)
            return frame
