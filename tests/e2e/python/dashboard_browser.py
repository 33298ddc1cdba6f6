#!/usr/bin/python3
"""Drives Debian's headless Chromium (chromium-driver, python3-selenium) through the
coordinator's dashboard against a running lab of simulated phones.

Started by tests/e2e/dashboard_browser_e2e_test.cc, which starts the lab. Checks, in one
browser session: the API refuses a request without a token; the login refuses a bad
token; the lab page lists the phones; a phone's log view receives new lines while a job
runs; the job's page updates live until done and plots one point per DONE run; the jobs,
compare and history pages render; no console errors. Screenshots go to --screenshots.
Exit status 0 when every check passed; a failed check prints what it saw and exits 1.
"""
import argparse
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


class CheckFailed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise CheckFailed(what)
    print("ok:", what.split("\n")[0], flush=True)


def wait_for(what, fn, timeout=30.0):
    """Calls fn until it returns a true value (which is returned) or timeout passes."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last:
                return last
        except Exception as e:  # the page is being re-rendered
            last = e
        time.sleep(0.1)
    raise CheckFailed(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def api(base, path, token):
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token} if token else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", required=True, help="the dashboard, e.g. http://127.0.0.1:8080")
    p.add_argument("--token", required=True)
    p.add_argument("--benchlab", required=True, help="the benchlab CLI, to submit the job")
    p.add_argument("--coordinator", required=True, help="gRPC address for the CLI")
    p.add_argument("--model", required=True)
    p.add_argument("--apk", required=True)
    p.add_argument("--phones", type=int, required=True)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--screenshots", required=True)
    a = p.parse_args()
    os.makedirs(a.screenshots, exist_ok=True)
    base = a.url.rstrip("/")

    # The API without a token: 401, and no data.
    try:
        api(base, "/api/v1/devices", "")
        check(False, "GET /api/v1/devices without a token is refused")
    except urllib.error.HTTPError as e:
        check(e.code == 401, f"GET /api/v1/devices without a token is 401 (got {e.code})")

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
                "--disable-gpu", "--no-first-run", "--disable-extensions"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    console_errors = []

    def shot(name):
        driver.save_screenshot(os.path.join(a.screenshots, name + ".png"))

    def collect_console(expected=()):
        for entry in driver.get_log("browser"):
            if entry["level"] != "SEVERE":
                continue
            if any(x in entry["message"] for x in expected):
                continue
            console_errors.append(entry["message"])

    try:
        # ---- login ----
        driver.get(base + "/")
        wait_for("the redirect to the login page", lambda: "/login" in driver.current_url)
        driver.find_element(By.ID, "token").send_keys("not-a-token")
        driver.find_element(By.ID, "login-submit").click()
        err = wait_for("the login error", lambda: driver.find_element(By.ID, "login-error"))
        check("/login" in driver.current_url and err.is_displayed(), "the login refuses a bad token")
        shot("01-login-refused")
        # The refused login is a 401 the browser reports; nothing else may be.
        collect_console(expected=("status of 401",))
        driver.find_element(By.ID, "token").send_keys(a.token)
        driver.find_element(By.ID, "login-submit").click()

        # ---- lab ----
        rows = wait_for(f"{a.phones} phones on the lab page",
                        lambda: (lambda r: r if len(r) == a.phones else None)(
                            driver.find_elements(By.CSS_SELECTOR, "table#devices tbody tr")))
        device_ids = [r.get_attribute("data-device-id") for r in rows]
        api_ids = sorted(d["info"]["deviceId"] for d in api(base, "/api/v1/devices", a.token)["devices"])
        check(sorted(device_ids) == api_ids, f"the lab page lists the phones {api_ids} (shows {device_ids})")
        shot("02-lab")

        # ---- logs: new lines arrive while the job runs ----
        dev = device_ids[0]
        driver.get(base + "/devices/" + urllib.parse.quote(dev, safe="") + "/logs")
        wait_for("the log stream to open", lambda: driver.find_element(By.ID, "live").text == "live")
        time.sleep(1.0)  # whatever tail the phone had arrives first
        before = int(driver.find_element(By.ID, "log-count").text)
        env = dict(os.environ, BENCHLAB_COORDINATOR=a.coordinator, BENCHLAB_TOKEN=a.token)
        submit = subprocess.run([a.benchlab, "run", a.model, "--apk", a.apk, "--devices", "all",
                                 "--repeat", str(a.repeat), "--detach"],
                                env=env, capture_output=True, text=True, timeout=60)
        check(submit.returncode == 0, "benchlab run --detach submitted the job\n" + submit.stdout + submit.stderr)
        job_id = submit.stdout.strip().split()[-1]
        # The run's own lines: the benchmark tool's result line, which only a run writes.
        wait_for("the run's lines in the log view",
                 lambda: any("Inference timings in us" in e.text
                             for e in driver.find_elements(By.CSS_SELECTOR, "#log-view .log-line")), timeout=40)
        after = int(driver.find_element(By.ID, "log-count").text)
        check(after > before, f"the log view received the run's new lines ({before} -> {after} lines)")
        shot("03-logs")

        # ---- the job's page, live until done ----
        driver.get(base + "/jobs/" + urllib.parse.quote(job_id, safe=""))
        first = wait_for("the job page", lambda: driver.find_element(By.ID, "job-state").get_attribute("data-state"))
        shot("04-job-running")
        wait_for("the job page to show the job finished",
                 lambda: driver.find_element(By.ID, "job-state").get_attribute("data-state") == "finished", timeout=90)
        events = int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-job-events"))
        check(first == "running" and events >= 2,
              f"the job page updated live: first state {first}, {events} update events, then finished")
        wait_for("the aggregates table", lambda: driver.find_elements(By.CSS_SELECTOR, "table#aggregates tbody tr"))
        results = api(base, "/api/v1/jobs/" + urllib.parse.quote(job_id, safe="") + "/results", a.token)
        done = [r for r in results["runs"] if r["state"] == "RUN_STATE_DONE"]
        points = driver.find_elements(By.CSS_SELECTOR, "circle.run-point")
        check(len(done) == a.phones * a.repeat and len(points) == len(done),
              f"one plotted point per run: {len(points)} points, {len(done)} DONE runs")
        check(sorted(p.get_attribute("data-run-id") for p in points) == sorted(r["runId"] for r in done),
              "the points are the DONE runs")
        shot("05-job-done")

        # ---- jobs, compare, history ----
        driver.get(base + "/jobs")
        wait_for("the job in the jobs list",
                 lambda: driver.find_elements(By.CSS_SELECTOR, f"table#jobs tr[data-job-id='{job_id}']"))
        check(True, "the jobs page lists the job")
        shot("06-jobs")
        driver.get(base + f"/compare/{job_id}/{job_id}")
        rows = wait_for("comparison rows", lambda: driver.find_elements(By.CSS_SELECTOR, "table#comparison tbody tr"))
        verdicts = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "table#comparison [class*='verdict-']")]
        check(len(rows) == a.phones and all(v in ("faster", "slower", "same", "inconclusive") for v in verdicts),
              f"the compare page shows a verdict per phone: {verdicts}")
        shot("07-compare")
        model_sha = results["job"]["spec"]["modelSha256"]
        driver.get(base + "/history?model_sha256=" + model_sha)
        cards = wait_for("history series", lambda: driver.find_elements(By.CSS_SELECTOR, ".series-card"))
        check(len(cards) == a.phones, f"the history page shows a series per phone ({len(cards)})")
        shot("08-history")

        collect_console()
        check(not console_errors, "no console errors\n" + "\n".join(console_errors))
        return 0
    except CheckFailed as e:
        print("FAILED:", e, file=sys.stderr)
        try:
            shot("failure")
            print("page at", driver.current_url, file=sys.stderr)
            print(driver.find_element(By.TAG_NAME, "body").text[:3000], file=sys.stderr)
            collect_console()
            print("console errors:", console_errors, file=sys.stderr)
        except Exception:
            pass
        return 1
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
