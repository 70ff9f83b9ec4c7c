"""As people use it, in real headless Chromium (Debian's chromium and chromium-driver): a responder
runs notebooks in JupyterLab and applies a change with the button; a reviewer opens the filed
pages offline."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import ROOT, jupyter, project
from opslib import incidents
import opslib_sandbox as sandbox
from opslib.ledger import Evidence

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SHOWN = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook in the current tab


@pytest.fixture
def browser(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
                 "--window-size=1400,1000", f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture
def lab(tmp_path, sandbox_url):
    """JupyterLab on a copy of the project (so nothing the browser does can save over the real
    notebooks), its kernels pointed at the test sandbox and a runs folder of the test's own."""
    home = project(tmp_path, {}, notebooks=_copy_notebooks(tmp_path))
    settings = tmp_path / "lab-settings" / "@jupyterlab"
    (settings / "apputils-extension").mkdir(parents=True)
    (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    (settings / "docmanager-extension").mkdir(parents=True)
    (settings / "docmanager-extension" / "plugin.jupyterlab-settings").write_text('{"autosave": false}')
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = "opslib-browser-test-token"
    env = dict(os.environ, OPSLIB_HOME=str(home), OPSLIB_RUNS_DIR=str(tmp_path / "runs"), JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"), JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "lab-settings"))
    env.pop("OPSLIB_RUN_ID", None)
    server = subprocess.Popen([*jupyter("jupyterlab.labapp"), "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={home}", "--LabApp.news_url=None"]
                              + (["--allow-root"] if os.geteuid() == 0 else []),
                              env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "jupyterlab.log", "wb"), start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert server.poll() is None, (tmp_path / "jupyterlab.log").read_text()[-2000:]
            time.sleep(0.3)
    yield {"base": base, "token": token, "runs": tmp_path / "runs", "home": home}
    server.terminate()
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        server.kill()


def _copy_notebooks(tmp_path):
    copied = tmp_path / "notebooks-copy"
    shutil.copytree(ROOT / "notebooks", copied, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return copied


def _open(driver, lab, notebook: str):
    driver.get(f"{lab['base']}/lab/tree/notebooks/{notebook}?token={lab['token']}")
    name = notebook.rsplit("/", 1)[-1]
    WebDriverWait(driver, 240, ignored_exceptions=(StaleElementReferenceException,)).until(  # JupyterLab redraws its tabs while a notebook opens
        lambda d: any(t.text.strip() == name for t in d.find_elements(By.CSS_SELECTOR, ".jp-mod-current .lm-TabBar-tabLabel, .lm-TabBar-tab.lm-mod-current")))
    WebDriverWait(driver, 240).until(seen.presence_of_element_located((By.CSS_SELECTOR, f"{SHOWN} .jp-Cell .cm-content")))
    WebDriverWait(driver, 240).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"{SHOWN} .jp-Notebook-ExecutionIndicator[data-status='idle']"))


def _run_all(driver):
    """Run > Run All Cells, through the menus as a person does; on a starved machine a click can
    land before the kernel's session is wired, so, as a person would, click again if nothing started."""
    for _ in range(3):
        _answer_kernel_dialog(driver)
        menu = next(m for m in driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item") if m.text.strip() == "Run")
        menu.click()
        WebDriverWait(driver, 30).until(seen.element_to_be_clickable((By.CSS_SELECTOR, "li.lm-Menu-item[data-command='runmenu:run-all']"))).click()
        try:
            WebDriverWait(driver, 90).until(lambda d: any(p.text.strip() not in ("", "[ ]:") for p in d.find_elements(By.CSS_SELECTOR, f"{SHOWN} .jp-InputPrompt")))
            return
        except Exception:
            continue
    raise AssertionError("Run All Cells started nothing after three tries")


def _answer_kernel_dialog(driver):
    """A slow kernel start can make JupyterLab ask which kernel to use: take its default, as a
    person would, and click again while the same question stays up. Any other dialog is a failure
    that names itself."""
    deadline = time.monotonic() + 180  # a bound, not a timing: under a loaded suite the dialog can take a minute to go
    while time.monotonic() < deadline:
        dialogs = driver.find_elements(By.CSS_SELECTOR, ".jp-Dialog")
        if not dialogs:
            return
        try:
            title = dialogs[0].find_element(By.CSS_SELECTOR, ".jp-Dialog-header").text
            assert "Kernel" in title, f"JupyterLab asked: {dialogs[0].text[:500]}"
            dialogs[0].find_element(By.CSS_SELECTOR, "button.jp-mod-accept").click()
        except StaleElementReferenceException:  # it went while we read it
            continue
        try:
            WebDriverWait(driver, 15).until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".jp-Dialog"))
        except Exception:
            continue  # still up (or up again): answer it again
    shown = [d.text[:300] for d in driver.find_elements(By.CSS_SELECTOR, ".jp-Dialog")]
    raise AssertionError(f"JupyterLab's dialog stayed up for 180 s, answered every 15 s: {shown}")


def _wait_for_text(driver, text: str, timeout: float = 300):  # a bound, not a timing: JupyterLab under a loaded suite is slow
    try:
        WebDriverWait(driver, timeout).until(lambda d: text in d.find_element(By.CSS_SELECTOR, f"{SHOWN} .jp-Notebook").text)
    except Exception:
        shown = driver.find_element(By.CSS_SELECTOR, f"{SHOWN} .jp-Notebook").text
        raise AssertionError(f"{text!r} never appeared; the notebook shows:\n{shown[-3000:]}") from None


def test_a_responder_runs_notebooks_and_applies_a_change_in_jupyterlab(browser, lab, healthy, aws, tmp_path):
    _open(browser, lab, "health/daily-health-check.ipynb")
    _run_all(browser)
    _wait_for_text(browser, "All 7 checks OK.")
    browser.save_screenshot(str(tmp_path / "daily-health-check.png"))
    cost = next(e for e in browser.find_elements(By.CSS_SELECTOR, f"{SHOWN} .jp-OutputArea-output tr") if "ce_cost_yesterday" in e.text)
    assert re.search(r"Cost on \d{4}-\d\d-\d\d was \$[\d,]+\.\d\d, [-+]?\d+% against the 7-day average of \$[\d,]+\.\d\d\.", cost.text), cost.text
    assert not browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output mjx-container"), "an output was typeset as maths"

    _open(browser, lab, "health/log-search.ipynb")
    line = next(e for e in browser.find_elements(By.CSS_SELECTOR, f"{SHOWN} .jp-Cell .cm-line") if e.text.startswith("export: bool = False"))
    word = line.find_element(By.XPATH, ".//span[text()='False']")
    ActionChains(browser).double_click(word).send_keys("True").perform()
    assert any(e.text.startswith("export: bool = True") for e in browser.find_elements(By.CSS_SELECTOR, f"{SHOWN} .jp-Cell .cm-line"))
    _run_all(browser)
    button = WebDriverWait(browser, 180).until(seen.element_to_be_clickable((By.XPATH, "//button[contains(., 'Apply 1 change')]")))
    _wait_for_text(browser, "Dry run: 1 change planned as PLAN-")
    planned = re.search(r"planned as (PLAN-[0-9a-f]{12})", browser.find_element(By.CSS_SELECTOR, f"{SHOWN} .jp-Notebook").text)[1]
    button.click()
    _wait_for_text(browser, f"1 change applied ({planned}); verified.", timeout=60)  # exactly the plan the button sat under, and it took effect
    browser.save_screenshot(str(tmp_path / "log-search.png"))
    assert not button.is_enabled()

    tasks = aws.client("logs", "us-east-1").describe_export_tasks()["exportTasks"]
    assert any(t["logGroupName"] == "/aws/ecs/rms-backend-prod" and t["destination"] == "rms-log-exports-123456789012" for t in tasks)
    applied = [r for r in Evidence(lab["runs"]).journal.records() if r["kind"] == "action" and r["status"] == "applied"]
    assert len(applied) == 1 and applied[0]["confirmed_by"] == "button" and applied[0]["run_id"].startswith("interactive-")
    history = subprocess.run([sys.executable, "-m", "opslib.cli", "history"], capture_output=True, text=True,
                             env=dict(os.environ, OPSLIB_RUNS_DIR=str(lab["runs"]), OPSLIB_HOME=str(lab["home"])))
    rows = [line.split() for line in history.stdout.splitlines() if line.startswith("20")]
    assert [(r[2], r[6], r[-1]) for r in rows] == [("health/daily-health-check", "0", "interactive"), ("health/log-search", "1", "interactive")], history.stdout
    browser.get((lab["runs"] / "index.html").as_uri())
    listed = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert len(listed) == 2 and all("(interactive session: journal only)" in r for r in listed), listed

    # declaring an incident by hand: the answers in the parameters cell, the message under the plan, the button sends
    _open(browser, lab, "incident/incident-declare.ipynb")
    line = next(e for e in browser.find_elements(By.CSS_SELECTOR, f"{SHOWN} .jp-Cell .cm-line") if e.text.startswith("service_down: bool = False"))
    ActionChains(browser).double_click(line.find_element(By.XPATH, ".//span[text()='False']")).send_keys("True").perform()
    _run_all(browser)
    button = WebDriverWait(browser, 180).until(seen.element_to_be_clickable((By.XPATH, "//button[contains(., 'Apply 3 changes')]")))
    _wait_for_text(browser, "🚨 INCIDENT DECLARED - P1")
    button.click()
    _wait_for_text(browser, "3 changes applied (PLAN-", timeout=60)
    _wait_for_text(browser, "declared: P1 EC2 Manager Production, commander")  # the rows a headless run prints, under the button
    browser.save_screenshot(str(tmp_path / "incident-declare.png"))
    (inc,) = incidents.all_incidents(Evidence(lab["runs"])).values()
    assert (inc.severity, inc.impact, [n["status"] for n in inc.notifications]) == ("P1", "The service is down", ["sent", "sent"])
    received = [m for m in sandbox.inbox() if m["webhook"] == "slack"]
    assert len(received) == 1 and f"Incident ID: {inc.id}" in received[0]["body"]


def test_a_reviewer_reads_the_index_and_a_filed_page_offline(browser, runs):
    browser.get((runs / "index.html").as_uri())
    rows = browser.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert [r.find_element(By.CSS_SELECTOR, "td.status").text for r in rows] == ["critical", "warn", "passed"]
    Select(browser.find_element(By.CSS_SELECTOR, "select[data-filter='status']")).select_by_visible_text("warn")
    assert [r.is_displayed() for r in rows] == [False, True, False]
    rows[1].find_element(By.TAG_NAME, "a").click()
    summary = WebDriverWait(browser, 30).until(seen.presence_of_element_located((By.CSS_SELECTOR, ".opslib-summary")))
    assert summary.text.splitlines()[0] == "notebooks/ok on sandbox", summary.text
    assert "WARN: The check is WARN." in summary.text and "thing is WARN." in summary.text
    assert summary.location["y"] < 400, "the verdict is read first, above the fold"
    assert browser.title.startswith("ok · sandbox · ") and browser.title.endswith(" · WARN")
    fetched = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert [u for u in fetched if not u.startswith(("file:", "data:"))] == [], "a filed page fetched something"
