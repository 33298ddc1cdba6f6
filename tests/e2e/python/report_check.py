#!/usr/bin/env python3
"""Reads a `benchlab report --html` file with html.parser and prints, as JSON, what the
e2e test checks: plotted points (<circle class="run">), charts (<svg>), <script>
elements, every attribute that refers outside the file, and the visible text."""
import json
import sys
from html.parser import HTMLParser

EXTERNAL = ("http:", "https:", "//", "ftp:", "file:", "data:")


class ReportParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.points = 0
        self.charts = 0
        self.scripts = 0
        self.external = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "circle" and "run" in (attrs.get("class") or "").split():
            self.points += 1
        if tag == "svg":
            self.charts += 1
        if tag in ("script", "iframe", "object", "embed", "link", "img"):
            self.scripts += 1 if tag == "script" else 0
            if tag != "script":
                self.external.append(tag)
        for name, value in attrs.items():
            if name in ("href", "src", "xlink:href", "action") or name.startswith("on"):
                self.external.append(f"{tag} {name}={value}")
            elif value and value.strip().lower().startswith(EXTERNAL) and name != "xmlns":
                self.external.append(f"{tag} {name}={value}")

    def handle_data(self, data):
        self.text.append(data)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        p = ReportParser()
        p.feed(f.read())
        p.close()
    print(json.dumps({"points": p.points, "charts": p.charts, "scripts": p.scripts,
                      "external": p.external, "text": " ".join(p.text)}))


if __name__ == "__main__":
    main()
