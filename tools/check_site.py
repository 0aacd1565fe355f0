"""Check the built documentation as a reader meets it.

Usage: ``python tools/check_site.py BUILD_DIR [--browser CHROMIUM]``

- Every internal link and image of every page must lead somewhere: the
  file must exist, and a ``#fragment`` must name an element of that page.
- With ``--browser``, every page is also opened in headless Chromium,
  served over HTTP from BUILD_DIR: each must load, its code blocks must be
  laid out (not empty, not hidden) and highlighted, and each image must
  have loaded with a size.

Exits 1 with one line per problem, 0 when there is none.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Page(HTMLParser):
    """The links, images and element ids of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for key in ("id", "name"):
            if values.get(key):
                self.ids.add(str(values[key]))
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        if tag in ("img", "script") and values.get("src"):
            self.links.append(str(values["src"]))
        if tag == "link" and values.get("href"):
            self.links.append(str(values["href"]))


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def pages(build: Path) -> list[Path]:
    """Every HTML page a reader can reach (search and index included)."""
    return sorted(p for p in build.rglob("*.html") if "_sources" not in p.parts)


def brokenLinks(build: Path) -> list[str]:
    """One line per internal link or image that leads nowhere."""
    parsed = {path: _parse(path) for path in pages(build)}
    problems = []
    for path, page in parsed.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "data:")):
                continue
            target = (
                (path.parent / unquote(parts.path)).resolve() if parts.path else path
            )
            if target.is_dir():
                target = target / "index.html"
            where = path.relative_to(build)
            if not target.exists():
                problems.append(f"{where}: broken link {link}")
                continue
            if parts.fragment and target.suffix == ".html":
                known = parsed.get(target)
                ids = known.ids if known is not None else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{where}: no #{parts.fragment} in {link}")
    return problems


_HARNESS = """<!doctype html><meta charset="utf-8"><title>site check</title>
<pre id="report">running</pre>
<script>
const pages = %s;
const results = {};
async function check(url) {
  const frame = document.createElement("iframe");
  frame.style.width = "1200px"; frame.style.height = "900px";
  const loaded = new Promise(resolve => frame.onload = resolve);
  frame.src = url;
  document.body.appendChild(frame);
  await loaded;
  const doc = frame.contentDocument;
  const images = [...doc.images];
  await Promise.all(images.map(img => img.complete ? null :
      new Promise(resolve => { img.onload = img.onerror = resolve; })));
  const blocks = [...doc.querySelectorAll("div.highlight pre")];
  const result = {
    title: doc.title,
    codeBlocks: blocks.length,
    emptyCode: blocks.filter(b => b.getBoundingClientRect().height < 5).length,
    plainCode: blocks.filter(b => b.querySelector("span") === null &&
        b.textContent.trim().length > 0 &&
        !b.closest(".highlight-text, .highlight-default, .highlight-none")).length,
    images: images.length,
    brokenImages: images.filter(i => !i.complete || i.naturalWidth === 0)
        .map(i => i.getAttribute("src")),
  };
  frame.remove();
  return result;
}
(async () => {
  for (const url of pages) {
    try { results[url] = await check(url); }
    catch (e) { results[url] = {error: String(e)}; }
  }
  document.getElementById("report").textContent = JSON.stringify(results);
})();
</script>
"""


def _serve(build: Path, harness: bytes) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/__check__.html":
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(harness)))
                self.end_headers()
                self.wfile.write(harness)
                return
            super().do_GET()

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: problems are reported at the end

    handler = functools.partial(Handler, directory=str(build))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def browserProblems(build: Path, chromium: str) -> list[str]:
    """One line per page that Chromium could not render as it should."""
    urls = ["/" + str(p.relative_to(build)) for p in pages(build)]
    harness = (_HARNESS % json.dumps(urls)).encode()
    server = _serve(build, harness)
    try:
        port = server.server_address[1]
        dom = subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--virtual-time-budget=600000",
                "--dump-dom",
                f"http://127.0.0.1:{port}/__check__.html",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        ).stdout
    finally:
        server.shutdown()
    start = dom.find('<pre id="report">')
    if start < 0:
        return ["chromium produced no report: the harness did not load"]
    import html as htmlmodule

    text = dom[start + len('<pre id="report">') : dom.find("</pre>", start)]
    if text.strip() == "running":
        return ["chromium stopped before every page was checked"]
    results = json.loads(htmlmodule.unescape(text))
    problems = []
    for url in urls:
        result = results.get(url)
        if result is None or "error" in result:
            problems.append(f"{url}: did not load ({result})")
            continue
        if not result["title"]:
            problems.append(f"{url}: rendered without a title")
        if result["emptyCode"]:
            problems.append(f"{url}: {result['emptyCode']} code blocks not laid out")
        if result["plainCode"]:
            problems.append(f"{url}: {result['plainCode']} code blocks not highlighted")
        problems.extend(
            f"{url}: image {src} did not load" for src in result["brokenImages"]
        )
    counted = sum(r.get("codeBlocks", 0) for r in results.values())
    images = sum(r.get("images", 0) for r in results.values())
    print(
        f"chromium rendered {len(results)} pages: {counted} code blocks,"
        f" {images} images"
    )
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", type=Path)
    parser.add_argument("--browser", default=None, metavar="CHROMIUM")
    args = parser.parse_args(argv)
    build = args.build.resolve()
    problems = brokenLinks(build)
    print(f"links: {len(pages(build))} pages checked, {len(problems)} broken")
    if args.browser:
        problems += browserProblems(build, args.browser)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
