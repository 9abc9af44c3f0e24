#!/usr/bin/env python3
"""report-screenshot.py: render a `tlsmon report --format html` page in headless Chromium.

    tests/e2e/report-screenshot.py REPORT.html OUT.png

Checks, one "ok - ..." / "not ok - ..." line each (details as "# ..." lines):
  1. Chromium renders the page to a screenshot (1280x2000 PNG, not blank);
  2. the browser logged no console message (the page has no script: any message, an
     uncaught error or a Content-Security-Policy refusal, means something is wrong);
  3. the DOM Chromium built has the charts (inline <svg>) and the tables, the would-break
     table first; and nothing in the page loads anything from the network.
Exit status: 0 all passed, 1 a check failed, 77 no Chromium (skipped).
Environment: CHROMIUM overrides the browser binary.
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
]

failures = 0


def report(ok, name, details=""):
    global failures
    print(("ok - " if ok else "not ok - ") + name)
    if not ok:
        failures += 1
        for line in details.splitlines()[:20]:
            print("# " + line)


def find_chromium():
    for name in [os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"]:
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def run(browser, extra, url, profile):
    cmd = ["nice", browser] + FLAGS + ["--user-data-dir=" + profile] + extra + [url]
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=180,
                          check=False, text=True, errors="replace")


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def check_screenshot(browser, url, png, profile):
    if os.path.exists(png):
        os.unlink(png)
    r = run(browser, ["--screenshot=" + png, "--window-size=1280,2000",
                      "--enable-logging=stderr", "--v=0"], url, profile)
    size = png_size(png) if os.path.exists(png) else None
    big = os.path.exists(png) and os.path.getsize(png) > 20000  # a blank page is ~5 KB
    report(r.returncode == 0 and size == (1280, 2000) and big,
           "report: Chromium renders the HTML report to a 1280x2000 screenshot",
           f"exit {r.returncode}, png size {size}, bytes "
           f"{os.path.getsize(png) if os.path.exists(png) else 0}\n{r.stderr[-2000:]}")
    console = [line for line in r.stderr.splitlines()
               if ":CONSOLE" in line or "Uncaught" in line or "Refused to" in line]
    report(not console, "report: no console messages (errors, CSP refusals) while rendering",
           "\n".join(console))


def check_dom(browser, url, profile):
    r = run(browser, ["--dump-dom"], url, profile)
    dom = r.stdout
    wanted = {
        "the overall chart (<svg id=chart-all>)": r'<svg class="chart" id="chart-all"',
        "a per-service chart": r'<svg class="chart" id="chart-1"',
        "chart bars": r"<rect [^>]*fill=",
        "the would-break table": r'<table id="table-would-break">',
        "the negotiating-low table": r'<table id="table-negotiating-low">',
        "the services table": r'<table id="table-services">',
        "the cipher findings table": r'<table id="table-findings">',
        "the pseudo-TLS table": r'<table id="table-pseudo-tls">',
    }
    missing = [name for name, pat in wanted.items() if not re.search(pat, dom)]
    report(r.returncode == 0 and not missing,
           "report: the rendered DOM has the charts (inline SVG) and the tables",
           f"exit {r.returncode}; missing: {', '.join(missing)}\n{r.stderr[-1000:]}")
    order = [dom.find(x) for x in ('id="would-break"', 'id="negotiating-low"', 'id="charts"',
                                   'id="services"', 'id="findings"', 'id="pseudo-tls"')]
    report(all(p >= 0 for p in order) and order == sorted(order),
           "report: would-break first, then negotiating-low, charts, services, findings, "
           "pseudo-TLS", f"positions {order}")
    remote = re.findall(r'(?:src|href)="(?:https?:)?//[^"]*"', dom) + \
        re.findall(r"<script", dom) + re.findall(r"url\(\s*['\"]?https?:", dom)
    report(not remote, "report: self-contained (no script, nothing loaded from the network)",
           "\n".join(remote))


def main():
    if len(sys.argv) != 3:
        print("usage: report-screenshot.py REPORT.html OUT.png", file=sys.stderr)
        return 2
    html, png = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    browser = find_chromium()
    if not browser:
        print("# skipped: no Chromium (Debian package chromium)")
        return 77
    url = "file://" + html
    with tempfile.TemporaryDirectory(prefix="tlsmon-chromium.") as profile:
        check_screenshot(browser, url, png, profile)
        check_dom(browser, url, profile)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
