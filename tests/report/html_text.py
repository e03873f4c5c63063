"""Reading a rendered page in tests: the text and attributes of the element with a given id."""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {"meta", "link", "br", "img", "input", "hr", "area", "base", "col", "source", "wbr"}


class _ById(HTMLParser):
    def __init__(self, wanted: str) -> None:
        super().__init__(convert_charrefs=True)
        self.wanted = wanted
        self.depth = 0
        self.attrs: dict[str, str | None] | None = None
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        if self.depth:
            self.depth += 1
            self.parts.append(" ")
        elif dict(attrs).get("id") == self.wanted and self.attrs is None:
            self.attrs = dict(attrs)
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if self.depth:
            self.depth -= 1
            if self.depth:
                self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def element(html: str, element_id: str) -> tuple[str, dict[str, str | None]]:
    """The whitespace-normalised text inside the element with this id, and its attributes."""
    parser = _ById(element_id)
    parser.feed(html)
    if parser.attrs is None:
        raise AssertionError(f"no element with id {element_id!r}")
    return " ".join("".join(parser.parts).split()), parser.attrs


def text(html: str, element_id: str) -> str:
    return element(html, element_id)[0]
