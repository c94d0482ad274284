"""nhsuk-frontend's own component fixtures, and an HTML normaliser to compare markup with them.

nhsuk-frontend ships, for each component, `fixtures.json`: example macro params and the HTML
its Nunjucks macro renders for them. The tests render the same question through the crispy
`nhsuk` pack and compare the two after `canonical()`, which ignores what a browser ignores
(whitespace between tags, attribute order, class order, how characters are escaped).

Fixtures are read from node_modules at test time, so an upgrade of nhsuk-frontend re-checks
the pack against the new markup. Without node_modules the tests skip (run `make assets`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "node_modules" / "nhsuk-frontend"
VOID_ELEMENTS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
)
_MISSING = object()


@dataclass(frozen=True)
class Fixture:
    component: str
    name: str
    context: dict[str, Any]
    html: str


def package_dir() -> Path:
    """node_modules/nhsuk-frontend, or skip the test that needs it."""
    if not (PACKAGE_DIR / "package.json").is_file():
        pytest.skip("node_modules/nhsuk-frontend is not installed: run `make assets` (npm ci)")
    return PACKAGE_DIR


def version() -> str:
    return json.loads((package_dir() / "package.json").read_text())["version"]


@cache
def _fixtures_files() -> dict[str, Path]:
    # dist/nhsuk/components/<name>/fixtures.json in 9.x and 10.x; found by search so a
    # moved folder in a later release is still found.
    return {path.parent.name: path for path in package_dir().rglob("fixtures.json")}


def fixtures(component: str) -> list[Fixture]:
    path = _fixtures_files().get(component)
    if path is None:
        raise LookupError(f"nhsuk-frontend {version()} has no fixtures for {component!r}")
    data = json.loads(path.read_text())
    return [
        Fixture(component, item["name"], item.get("context") or {}, item["html"])
        for item in data["fixtures"]
    ]


def fixture(component: str, name: str, **context: Any) -> Fixture:
    """The fixture called `name`. Where several share a name (one of them `small`, say), the
    keywords pick the one whose context has those values; None means the key is absent."""
    candidates = [fx for fx in fixtures(component) if fx.name == name]
    chosen = [
        fx
        for fx in candidates
        if all(fx.context.get(key, None) == value for key, value in context.items())
    ]
    if len(chosen) != 1:
        names = sorted({fx.name for fx in fixtures(component)})
        raise LookupError(
            f"{len(chosen)} {component!r} fixtures named {name!r} with {context} "
            f"in nhsuk-frontend {version()}; its fixtures are: {names}"
        )
    return chosen[0]


# --- Normalising HTML ------------------------------------------------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, [])
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs}, [])
        self.stack[-1].children.append(element)
        if tag not in VOID_ELEMENTS:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {n: v or "" for n, v in attrs}, []))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def _text(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def _attr(name: str, value: str) -> str:
    if name == "class":
        return " ".join(sorted(set(value.split())))
    return _text(value)


def _lines(node: Element | str, depth: int, out: list[str]) -> None:
    indent = "  " * depth
    if isinstance(node, str):
        if text := _text(node):
            out.append(f"{indent}{text!r}")
        return
    attrs = "".join(f' {name}="{_attr(name, node.attrs[name])}"' for name in sorted(node.attrs))
    out.append(f"{indent}<{node.tag}{attrs}>")
    children: list[Element | str] = []
    for child in node.children:  # adjacent text runs are one text node
        if isinstance(child, str) and children and isinstance(children[-1], str):
            children[-1] += child
        else:
            children.append(child)
    for child in children:
        _lines(child, depth + 1, out)


def canonical(html: str) -> str:
    """One element or text node per line: tags with sorted attributes and classes, text with
    its whitespace collapsed. Two snippets a browser treats alike give the same string."""
    out: list[str] = []
    for child in parse(html).children:
        _lines(child, 0, out)
    return "\n".join(out)


def find_all(html: str, tag: str, **attrs: str) -> list[Element]:
    """Elements with this tag whose attributes include these (class_ for class: one class)."""
    found: list[Element] = []

    def matches(element: Element) -> bool:
        for key, wanted in attrs.items():
            name = "class" if key == "class_" else key.replace("_", "-")
            value = element.attrs.get(name, _MISSING)
            if value is _MISSING:
                return False
            if name == "class" and wanted not in str(value).split():
                return False
            if name != "class" and value != wanted:
                return False
        return True

    def walk(element: Element) -> None:
        for child in element.children:
            if isinstance(child, Element):
                if child.tag == tag and matches(child):
                    found.append(child)
                walk(child)

    walk(parse(html))
    return found


def text_of(element: Element) -> str:
    parts: list[str] = []

    def walk(node: Element | str) -> None:
        if isinstance(node, str):
            parts.append(node)
        else:
            for child in node.children:
                walk(child)

    walk(element)
    return _text("".join(parts))
