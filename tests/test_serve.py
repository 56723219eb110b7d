"""``ptgen serve``: the page in a real browser follows the saved file; errors show; paths are refused;
bad content never stops the server.  The server runs as the real command, on a free port."""
from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from helpers import GOOD_PROJECT, ROOT, make_publication

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
needs_browser = pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                                   reason="Debian chromium + chromium-driver not installed (bash scripts/setup.sh --test)")


class Server:
    def __init__(self, proc: subprocess.Popen, url: str):
        self.proc, self.url = proc, url
        u = urlparse(url)
        self.host, self.port = u.hostname, u.port

    def get(self, path: str, headers: dict | None = None) -> tuple[int, str]:
        """A plain request with ``path`` sent exactly as given (no normalising of ``..`` or ``%2e``)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request("GET", path, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def wait_for(self, path: str, pattern: str, timeout: float = 20) -> str:
        """The page once ``pattern`` (a regex) is in it."""
        end = time.monotonic() + timeout
        while True:
            status, body = self.get(path)
            if status == 200 and re.search(pattern, body):
                return body
            if time.monotonic() > end:
                raise AssertionError(f"{pattern!r} never appeared in {path} ({status}):\n{body[-3000:]}")
            time.sleep(0.1)


@pytest.fixture
def serve(tmp_path):
    started = []

    def start(pub: Path) -> Server:
        proc = subprocess.Popen([sys.executable, "-m", "ptgen", "serve", str(pub), "--port", "0",
                                 "--out", str(tmp_path / "out")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=tmp_path)
        started.append(proc)
        line = proc.stdout.readline()
        m = re.search(r"预览地址：(http://127\.0\.0\.1:\d+/)", line)
        assert m, line + proc.stderr.read()
        return Server(proc, m.group(1))
    yield start
    for proc in started:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,900"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    yield driver
    driver.quit()


def save(path: Path, text: str) -> None:
    """Save as an editor does: write a new file and rename it over the old one."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@needs_browser
def test_browser_follows_edits_errors_and_fixes(tmp_path, serve, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    pub = make_publication(tmp_path / "pub")
    project = pub / "353" / "353101" / "p.yaml"
    server = serve(pub)
    shots = tmp_path / "shots"
    shots.mkdir()
    browser.get(server.url + "353.html#_Toc_4_4_0000000004")  # the project's table on its department's page
    wait = WebDriverWait(browser, 20, poll_frequency=0.05)

    def cells() -> str:  # read in one go: the page may be reloading meanwhile
        return browser.execute_script(
            "return Array.from(document.querySelectorAll('table.pt td')).map(e => e.textContent).join(' ')")

    def overlay() -> str | None:
        return browser.execute_script("var o = document.getElementById('ptgen-overlay'); "
                                      "return o && o.offsetWidth > 0 ? o.innerText : null")
    assert "≥10个" in cells()
    assert not browser.find_elements(By.ID, "ptgen-overlay")  # the example has no errors
    assert browser.find_element(By.CSS_SELECTOR, "#ptgen-bar a.ptgen-pdf").get_attribute("href").endswith("/__ptgen/pdf/353.pdf")
    browser.save_screenshot(str(shots / "1-opened.png"))

    # An edit reaches the page without a reload by hand.
    save(project, GOOD_PROJECT.replace("≥10个", "≥12个"))
    wait.until(lambda b: "≥12个" in cells())
    browser.save_screenshot(str(shots / "2-edited.png"))

    # Broken YAML: the overlay names the file, line and code; the last good table stays.
    save(project, GOOD_PROJECT.replace("≥10个", "≥12个").replace("name: 信息系统运维费", "name: [信息系统运维费"))
    shown = wait.until(lambda b: overlay())
    assert re.search(r"pub/353/353101/p\.yaml:\d+:\d+ Y\d{3}", shown), shown
    findings = browser.find_element(By.ID, "ptgen-findings").text  # on the page too, under the bar
    assert "p.yaml" in findings
    assert "≥12个" in cells()
    browser.save_screenshot(str(shots / "3-broken.png"))
    # Closed, the overlay stays closed through reloads while the errors are the same ones…
    browser.find_element(By.ID, "ptgen-overlay-close").click()
    assert overlay() is None
    def version() -> int:
        return int(browser.execute_script("var b = document.getElementById('ptgen-bar'); "
                                          "return b ? b.getAttribute('data-version') : -1"))
    before = version()
    save(project, GOOD_PROJECT.replace("≥10个", "≥14个").replace("name: 信息系统运维费", "name: [信息系统运维费"))
    wait.until(lambda b: version() > before)  # the page was reloaded
    assert overlay() is None
    # …and comes back when they change.
    save(project, GOOD_PROJECT.replace("≥10个", "≥12个").replace("    value: ≥99%", "    value: [≥99%"))
    shown = wait.until(lambda b: overlay())
    assert "p.yaml" in shown

    # Fixed: the overlay goes, the page shows the new value.
    save(project, GOOD_PROJECT.replace("≥10个", "≥13个"))
    wait.until(lambda b: "≥13个" in cells() and overlay() is None)
    browser.save_screenshot(str(shots / "4-fixed.png"))
    print("screenshots:", shots)
    assert all((shots / f).stat().st_size > 5000 for f in os.listdir(shots))


def test_serves_only_its_own_pages(tmp_path, serve):
    pub = make_publication(tmp_path / "pub")
    (pub / "leak.html").symlink_to("/etc/passwd")
    (pub / "353" / "353101" / "out.html").symlink_to("/etc/passwd")
    server = serve(pub)
    assert server.get("/")[0] == 200
    assert "信息系统运维费" in server.get("/353.html")[1]
    for path in ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd", "/%2F..%2F..%2Fetc%2Fpasswd",
                 "/353.html/../../../etc/passwd", "/%2e%2e%5c%2e%2e%5cetc%5cpasswd", "//etc/passwd",
                 "/leak.html", "/353/353101/out.html", "/ptgen.yaml", "/353/353101/p.yaml", "/353/", "/353",
                 "/__ptgen/", "/__ptgen/pdf/", "/__ptgen/pdf/..%2f..%2fetc%2fpasswd", "/__ptgen/pdf/%2e%2e",
                 "/index.html%00", "/.cache/"]:
        status, body = server.get(path)
        assert status == 404, (path, status)
        assert "root:" not in body and "<li>" not in body and "ptgen.yaml" not in body, path
    # A page elsewhere whose name was pointed at this machine (DNS rebinding) gets nothing.
    assert server.get("/353.html", {"Host": "attacker.example"})[0] == 400
    assert server.get("/353.html", {"Host": f"localhost:{server.port}"})[0] == 200


def test_server_survives_bad_content(tmp_path, serve):
    pub = make_publication(tmp_path / "pub")
    project = pub / "353" / "353101" / "p.yaml"
    settings = pub / "ptgen.yaml"
    good_settings = settings.read_text(encoding="utf-8")
    server = serve(pub)
    server.wait_for("/353.html", "≥10个")
    # Each bad file: its error in the overlay, the last good table still on the page.
    bad = [
        (project, b"\xff\xfe not utf-8", r"p\.yaml:1:\d+"),
        (project, b"", r"p\.yaml:1:1"),
        (project, b"name: \"unclosed\nbookmark: x\n", r"p\.yaml:1:\d+"),
        (project, GOOD_PROJECT.replace("value: ≥10个", "value: [a, b]").encode(), r"p\.yaml:\d+:\d+</span> <code>Y005"),
        (project, b"x" * (1024 * 1024 + 10), r"p\.yaml"),
        (settings, b"title: [", r"ptgen\.yaml:\d+:\d+</span> <code>Y001"),
        (pub / "353" / "353101" / "unit.yaml", b"code: \"353101\"\nprojects: [p.yaml\n", r"unit\.yaml:\d+:\d+"),
    ]
    for path, data, where in bad:
        path.write_bytes(data)
        body = server.wait_for("/353.html", r'id="ptgen-overlay"[\s\S]*' + where)
        assert "≥10个" in body, path  # the last good page stays
        path.write_bytes((good_settings if path == settings else
                          'code: "353101"\nname: 测试单位\nprojects:\n  - p.yaml\n' if path.name == "unit.yaml"
                          else GOOD_PROJECT).encode("utf-8"))
        server.wait_for("/353.html", r'^(?![\s\S]*id="ptgen-overlay")[\s\S]*≥10个')
    project.unlink()  # a listed file gone
    server.wait_for("/", r'id="ptgen-overlay"[\s\S]*F001')
    shutil.rmtree(pub / "353")  # the whole department gone
    server.wait_for("/", r'id="ptgen-overlay"[\s\S]*F001')
    assert server.proc.poll() is None
    assert server.get("/")[0] == 200


def test_only_the_changed_department_is_drawn_again(tmp_path):
    """The library: a saved project re-renders its department's page (totals included) and leaves
    the other departments' pages as they were; the whole book and index are drawn on request."""
    sys.path.insert(0, str(ROOT / "bench"))
    from generate import generate

    from ptgen.serve import ALL, Preview
    pub = generate(tmp_path / "pub", 6, departments=3, units_per_department=1)
    preview = Preview(pub)
    preview.render_all()
    before = dict(preview.pages)
    assert set(before) == {"301.html", "302.html", "303.html", "pub.html", "index.html"}
    path = pub / "302" / "302101" / "p001.yaml"
    text = path.read_text(encoding="utf-8")
    total = re.search(r'total: "([0-9.]+)"', text).group(1)
    new = f"{float(total) + 1000:.2f}"
    path.write_text(text.replace(f'total: "{total}"', f'total: "{new}"').replace(f'fiscal: "{total}"', f'fiscal: "{new}"'),
                    encoding="utf-8")
    change = preview.apply([str(path)])
    assert change.pages != ALL and set(change.pages) == {"302.html", "pub.html", "index.html"}
    assert preview.pages["301.html"] is before["301.html"] and preview.pages["303.html"] is before["303.html"]
    assert set(preview.pages) == {"301.html", "303.html"}  # the others wait to be asked for
    page = preview.page("302.html")[0].decode("utf-8")
    assert new in page and total not in re.search(r'<table class="totals">[\s\S]*?</table>', page).group(0)
    assert new in preview.page("index.html")[0].decode("utf-8")


def test_ctrl_c_with_a_page_open_ends_cleanly(tmp_path, serve):
    """A page's event stream stays open; Ctrl-C still ends the server at once, without a traceback."""
    server = serve(make_publication(tmp_path / "pub"))
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    conn.request("GET", "/__ptgen/events?page=353.html&v=0")
    r = conn.getresponse()
    assert r.status == 200 and r.getheader("content-type").startswith("text/event-stream")
    assert r.read(6) == b"retry:"
    server.proc.send_signal(signal.SIGINT)
    out, err = server.proc.communicate(timeout=20)
    conn.close()
    assert server.proc.returncode == 0, err
    assert "Traceback" not in err and "ERROR" not in err, err
    assert "预览已结束" in out


def test_department_pdf_one_click_away_same_as_build(tmp_path, serve):
    """The PDF link of a department's page gives the department's PDF, rendered on demand into
    build's cache: ``ptgen build`` afterwards makes the same bytes from it."""
    pub = make_publication(tmp_path / "pub")
    server = serve(pub)
    page = server.get("/353.html")[1]
    link = re.search(r'<a class="ptgen-pdf" href="([^"]+)"', page).group(1)
    conn = http.client.HTTPConnection(server.host, server.port, timeout=120)
    conn.request("GET", link)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    assert r.status == 200 and r.getheader("content-type") == "application/pdf" and data.startswith(b"%PDF")
    assert any((tmp_path / "out" / ".cache" / "pdf" / "pub").glob("*.json"))  # build's cache
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    assert "信息系统运维费" in text and "≥10个" in text
    assert server.get("/__ptgen/pdf/999.pdf")[0] == 404
    subprocess.run([sys.executable, "-m", "ptgen", "build", str(pub), "--out", str(tmp_path / "out"), "--format", "pdf"],
                   check=True, capture_output=True, cwd=tmp_path)
    assert (tmp_path / "out" / "pdf" / "pub" / "353.pdf").read_bytes() == data


def test_layout_definitions_and_templates_are_watched(tmp_path, serve):
    """The publication's own layouts/ and templates/html/ are watched like the content: a label of the
    form, a template's text, a template that does not compile (its error shown, the server alive)."""
    from helpers import SETTINGS
    pub = make_publication(tmp_path / "pub", settings=SETTINGS + "templates: templates\n")
    layout = pub / "layouts" / "tianjin.yaml"
    layout.parent.mkdir()
    shutil.copy(ROOT / "layouts" / "tianjin.yaml", layout)
    template = pub / "templates" / "html" / "compilation.html"
    template.parent.mkdir(parents=True)
    shutil.copy(ROOT / "templates" / "html" / "compilation.html", template)
    server = serve(pub)
    server.wait_for("/353.html", ">项目名称<")
    save(layout, layout.read_text(encoding="utf-8").replace("{label: 项目名称}", "{label: 项目全称}"))
    server.wait_for("/353.html", ">项目全称<")
    own = template.read_text(encoding="utf-8")
    save(template, own.replace("<main>", '<main><p id="own">自己的模板</p>'))
    server.wait_for("/353.html", '<p id="own">自己的模板</p>')
    save(template, own.replace("<main>", "<main>{% if %}"))
    server.wait_for("/353.html", "网页模板 .*compilation.html 第 \\d+ 行有语法错误")
    save(template, own)
    body = server.wait_for("/353.html", ">项目全称<")
    assert "语法错误" not in body and 'id="own"' not in body


def test_port_in_use_and_several_publications_are_messages(tmp_path):
    import socket
    pub = make_publication(tmp_path / "pub")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "ptgen", "serve", str(pub), "--port", str(port)],
                           capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and f"无法在 127.0.0.1:{port} 上提供预览" in r.stderr and "--port" in r.stderr, r.stderr
    make_publication(tmp_path / "pub2")
    r = subprocess.run([sys.executable, "-m", "ptgen", "serve", str(tmp_path), "--port", "0"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "2 个出版物" in r.stderr and "Traceback" not in r.stderr, r.stderr
    r = subprocess.run([sys.executable, "-m", "ptgen", "serve", str(pub), "--port", "0", "--out", str(pub / "build")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--out" in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_check_findings_of_the_saved_file_on_its_page(tmp_path, serve):
    """A rule's finding (not only a reading error) is listed on the department's page with its code,
    message and file:line:column, and in the overlay of every page while it is an error."""
    pub = make_publication(tmp_path / "pub")
    project = pub / "353" / "353101" / "p.yaml"
    server = serve(pub)
    server.wait_for("/353.html", "≥95%")
    bad = GOOD_PROJECT.replace("value: ≥95%", "value: ≥120%").replace("description: 反映运维的系统数量",
                                                                       "description: 运维系统数量")
    line = bad.splitlines().index("    value: ≥120%") + 1
    save(project, bad)
    where = rf"pub/353/353101/p\.yaml:{line}:12</span> <code>V01</code> 错误："
    page = server.wait_for("/353.html", rf'id="ptgen-findings"[\s\S]*{where}[\s\S]*'  # at the top,
                           rf'<section class="pt-entry" id="_Toc_4_4_0000000004"[^>]*><aside class="ptgen-entry-findings error"'
                           rf'[^>]*><ul><li[^>]*>[^\n]*{where}[\s\S]*'  # above the table itself,
                           rf'id="ptgen-overlay"[\s\S]*{where}')  # and in the overlay
    assert "≥120%" in page
    assert "<code>D01</code>" not in page  # a 提示, as check lists them: only with --verbose
    server.wait_for("/index.html", rf'id="ptgen-overlay"[\s\S]*{where}')
    save(project, GOOD_PROJECT)
    page = server.wait_for("/353.html", r'^(?![\s\S]*id="ptgen-overlay")[\s\S]*≥95%')
    assert "V01" not in page


def test_starts_on_unreadable_settings_and_recovers(tmp_path, serve):
    """A publication whose ptgen.yaml does not parse at start: the server starts, shows the error,
    and shows the pages once the file is fixed."""
    from helpers import SETTINGS
    pub = make_publication(tmp_path / "pub", settings="title: [\n")
    server = serve(pub)
    server.wait_for("/", r'id="ptgen-overlay"[\s\S]*ptgen\.yaml:\d+:\d+</span> <code>Y001')
    assert server.get("/353.html")[0] == 404
    save(pub / "ptgen.yaml", SETTINGS)
    server.wait_for("/353.html", r'^(?![\s\S]*id="ptgen-overlay")[\s\S]*≥10个')


def test_a_table_alone_is_drawn_again_when_nothing_else_changes(tmp_path):
    """A change inside one table (an indicator's value) draws that table alone and puts it into
    its department's page and the whole book, which come out byte for byte as drawn from scratch;
    the index is not touched.  A change of the money draws the pages again (their totals)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from generate import generate

    from ptgen.serve import Preview
    pub = generate(tmp_path / "pub", 6, departments=2, units_per_department=1)
    preview = Preview(pub)
    preview.render_all()
    index = preview.pages["index.html"]
    path = pub / "302" / "302101" / "p002.yaml"
    text = path.read_text(encoding="utf-8")
    m = re.search(r"^    value: (.+)$", text, re.M)
    path.write_text(text[:m.start(1)] + "≥77777项" + text[m.end(1):], encoding="utf-8")
    change = preview.apply([str(path)])
    assert set(change.pages) == {"302.html", "pub.html"}
    assert preview.pages["index.html"] is index
    spliced = {name: preview.pages[name] for name in ("302.html", "pub.html")}
    assert "≥77777项" in spliced["302.html"].decode("utf-8")
    preview.pages.clear()  # from scratch: the same bytes
    assert all(preview.page(name) and preview.pages[name] == data for name, data in spliced.items())
    preview.render_all()
    total = re.search(r'total: "([0-9.]+)"', text).group(1)
    new = f"{float(total) + 1000:.2f}"
    path.write_text(text.replace(f'total: "{total}"', f'total: "{new}"').replace(f'fiscal: "{total}"', f'fiscal: "{new}"'),
                    encoding="utf-8")
    change = preview.apply([str(path)])
    assert set(change.pages) == {"302.html", "pub.html", "index.html"}
    assert set(preview.pages) == {"301.html"}
