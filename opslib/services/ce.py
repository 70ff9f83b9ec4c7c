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
