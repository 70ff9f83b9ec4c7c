"""opslib.tally: counting refused lines by client (rate-limiting), exact while it can be, bounded always."""

from collections import Counter

from opslib import tally


def _line(ip: str, status: int, size: int = 512) -> str:
    return f'{ip} - - [02/Dec/2026:06:40:00 +0000] "GET /api/deployments?page=429 HTTP/1.1" {status} {size} 31ms'


def test_counts_the_status_field_only_by_client_in_text_or_bytes():
    lines = [_line("203.0.113.7", 429), _line("203.0.113.7", 429), _line("198.51.100.2", 200, size=429), _line("198.51.100.3", 429),
             "not a log line with 429 in it", _line("2001:db8::1:77", 429), _line("2001:db8::1:78", 429), _line("2001:db8::1:77", 429)]
    text = "\n".join(lines)
    for chunks in ([text], [text.encode()], [lines[0], "\n".join(lines[1:])]):
        found = tally.by_client(chunks)
        assert found.counts == Counter({"203.0.113.7": 2, "198.51.100.3": 1, "2001:db8::1:77": 2, "2001:db8::1:78": 1})  # IPv6: longer than the prefix
        assert found.total == 6 and found.error == 0
    assert tally.by_client([text], status=200).counts == Counter({"198.51.100.2": 1})


def test_memory_stays_bounded_and_the_heavy_hitter_is_never_missed():
    noise = "\n".join(_line(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", 429) for i in range(5000))  # 5,000 addresses once each
    attack = "\n".join([_line("203.0.113.77", 429)] * 300)
    found = tally.by_client([noise, attack, noise], capacity=1000)
    assert len(found.counts) <= 1000 and found.total == 10300
    (top, n), = found.top(1)
    assert top == "203.0.113.77" and 300 - found.error <= n <= 300  # low by at most the stated error


def test_lines_cut_between_chunks_anywhere_count_once():
    text = "".join(f"{_line(f'203.0.113.{i % 3}', 429 if i % 2 else 200)}\n" for i in range(50))
    expected = tally.by_client([text]).counts
    assert sum(expected.values()) == 25
    for size in (1, 7, 64, 101, 1000):
        pieces = [text[i : i + size] for i in range(0, len(text), size)]
        assert tally.by_client(pieces).counts == expected
        assert tally.by_client(tally.prefetched(p.encode() for p in pieces)).counts == expected
