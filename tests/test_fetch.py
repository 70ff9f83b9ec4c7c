"""URLs given as parameters are fetched safely: http(s) only, no metadata addresses, credentials
stay with their origin, one deadline per request. Real local HTTP servers, started here."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import aws_calls, ledger, opslib, project
from opslib.checks import CRITICAL, OK
from opslib.checks.http import endpoint_healthy
from opslib.secrets import Secret
from opslib.services import http

TOKEN = Secret("bearer-token-for-the-api-1234")


class Handler(BaseHTTPRequestHandler):
    seen: list = []  # (server port, path, Authorization header)
    other_port = 0

    def log_message(self, *args):
        pass

    def do_GET(self):
        Handler.seen.append((self.server.server_address[1], self.path, self.headers.get("Authorization")))
        if self.path == "/health":
            self._answer(200, b'{"status": "healthy", "version": "1.0"}')
        elif self.path == "/to-same":
            self._redirect("/health")
        elif self.path == "/to-other":
            self._redirect(f"http://127.0.0.1:{Handler.other_port}/health")
        elif self.path == "/to-file":
            self._redirect("file:///etc/passwd")
        elif self.path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(1000):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.5)
        elif self.path == "/slow-headers":
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            for i in range(100):
                self.wfile.write(f"X-Pad-{i}: x\r\n".encode())
                self.wfile.flush()
                time.sleep(0.5)

    def _answer(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, where):
        self.send_response(302)
        self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(scope="module")
def servers():
    made = []
    for _ in range(2):
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        made.append(server)
    Handler.other_port = made[1].server_address[1]
    yield [f"http://127.0.0.1:{s.server_address[1]}" for s in made]
    for s in made:
        s.shutdown()
        s.server_close()


def test_same_origin_redirect_is_followed_with_the_token(servers):
    Handler.seen.clear()
    probe = http.get(servers[0] + "/to-same", token=TOKEN)
    assert probe.status == 200 and probe.body["status"] == "healthy"
    assert [h for _, _, h in Handler.seen] == [f"Bearer {TOKEN.reveal()}"] * 2


def test_redirect_to_another_origin_is_a_finding_and_gets_no_credentials(servers):
    Handler.seen.clear()
    result = endpoint_healthy(None, "api", servers[0] + "/to-other", 200, TOKEN)
    assert result.status == CRITICAL
    assert "redirects to http://127.0.0.1:" in result.sentence and "not followed" in result.sentence
    assert [(path, auth) for _, path, auth in Handler.seen] == [("/to-other", f"Bearer {TOKEN.reveal()}")]  # the other server never asked


def test_redirect_to_a_file_url_is_not_followed(servers):
    probe = http.get(servers[0] + "/to-file")
    assert probe.status == 302 and probe.body is None and "not followed" in probe.error


@pytest.mark.parametrize("path", ["/trickle", "/slow-headers"])
def test_one_deadline_covers_the_whole_request(servers, path):
    started = time.monotonic()
    result = endpoint_healthy(None, "api", servers[0] + path, 200, None, 1.5)
    took = time.monotonic() - started
    assert result.status == CRITICAL and "no complete answer within 1.5 s" in result.sentence
    assert took < 5, took


# The metadata address spelled in IPv6 (issue 23): each passed both checks and was sent the bearer token.
METADATA_SPELLINGS = ["http://[::ffff:169.254.169.254]/latest/meta-data/", "http://[::ffff:a9fe:a9fe]/", "http://[::169.254.169.254]/",
                      "http://[2002:a9fe:a9fe::1]/", "http://[64:ff9b::169.254.169.254]/"]


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://example.com/", "javascript:alert(1)",
                                 "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/latest/meta-data/", *METADATA_SPELLINGS])
def test_fetch_refuses_what_input_checks_refuse(url):
    probe = http.get(url)
    assert probe.status is None and probe.error.startswith("refused:")


@pytest.mark.parametrize("url", METADATA_SPELLINGS)
def test_the_metadata_address_in_any_spelling_is_refused_at_input_and_at_post(sandbox_url, tmp_path, url):
    res = opslib("run", "daily-health-check", "-p", f"frontend_url={url}", runs=tmp_path / "runs")
    assert res.returncode == 2 and "is a link-local (cloud metadata) address, refused" in res.stderr, res.stderr
    assert http.post(url, b"{}").error.startswith("refused:")


def test_healthy_endpoint_still_passes(servers):
    assert endpoint_healthy(None, "api", servers[0] + "/health", 200, TOKEN).status == OK
    assert http.get(servers[0].replace("127.0.0.1", "localhost") + "/health").status == 200  # by name: connects to the vetted address


@pytest.mark.parametrize("url, says", [
    ("file:///etc/passwd", "scheme file:// is not allowed, only http and https"),
    ("ftp://example.com/health", "scheme ftp:// is not allowed"),
    ("example.com/health", "scheme (none):// is not allowed"),
    ("http://169.254.169.254/latest/meta-data/iam/", "169.254.169.254 is a link-local (cloud metadata) address, refused"),
    ("http://[fd00:ec2::254]/latest/", "fd00:ec2::254 is a link-local (cloud metadata) address"),
])
def test_bad_url_parameter_is_bad_input(sandbox_url, tmp_path, url, says):
    before = aws_calls()
    res = opslib("run", "daily-health-check", "-p", f"frontend_url={url}", runs=tmp_path / "runs")
    assert res.returncode == 2, res.stdout + res.stderr
    assert says in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert aws_calls() == before and not (tmp_path / "runs").exists()


def test_environment_file_may_allow_metadata_addresses(sandbox_url, tmp_path, monkeypatch):
    from opslib import runner

    monkeypatch.setenv("OPSLIB_HOME", str(project(tmp_path, {"onaws": "http:\n  allow_link_local: true\n"})))
    plan = runner.prepare("daily-health-check", "onaws", ["frontend_url=http://169.254.169.254/latest/meta-data/"], runs_dir=tmp_path / "runs")
    assert plan.injected["frontend_url"].startswith("http://169.254.169.254")
    assert plan.kernel_env["OPSLIB_ALLOW_LINK_LOCAL"] == "1"


def test_slow_server_fails_the_run_check_within_the_deadline(healthy, servers, tmp_path):
    started = time.monotonic()
    res = opslib("run", "daily-health-check", "-p", f"frontend_url={servers[0]}/trickle", "-p", "http_deadline_s=2", "--no-progress", runs=tmp_path)
    assert res.returncode == 1
    assert "CRITICAL http_endpoint_healthy          frontend" in res.stdout and "no complete answer within 2 s" in res.stdout
    assert time.monotonic() - started < 40
    assert ledger(tmp_path)[0]["checks"]["CRITICAL"] == 1
