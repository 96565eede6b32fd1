"""A report as a list of blocks, written once as report.md and once as index.html.

Why blocks and not markdown turned into HTML: both files must show the same content,
the HTML must open from a folder with no network (no external CSS or JavaScript), and a
markdown converter would be one more dependency for the few shapes a report uses
(headings, paragraphs, tables, figures, notes). Each block renders itself both ways.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tfod_sweep.fileio import atomic_write_text
from tfod_sweep.review.logbook import LogbookTable

MARKDOWN_FILE = "report.md"
HTML_FILE = "index.html"

_STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.5em; text-align: left; }
th { background: #eee; }
figure { margin: 1em 0 2em; }
img { max-width: 100%; border: 1px solid #ddd; }
.note { color: #666; font-style: italic; }
"""


@dataclass(frozen=True)
class Heading:
    """A section title."""

    text: str
    level: int = 2


@dataclass(frozen=True)
class Text:
    """A paragraph whose lines stay lines (a verdict reads line by line)."""

    lines: tuple[str, ...]
    caption: str | None = None


@dataclass(frozen=True)
class Figure:
    """A PNG in the report folder, named relative to it."""

    file: str
    caption: str


@dataclass(frozen=True)
class Note:
    """Why something expected is not shown (too few trials, no preview.png, ...)."""

    text: str


Block = Heading | Text | LogbookTable | Figure | Note


@dataclass
class Document:
    """A report: a title and its blocks, in reading order."""

    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)

    @property
    def figures(self) -> list[Figure]:
        return [block for block in self.blocks if isinstance(block, Figure)]

    def markdown(self, figures: bool = True) -> str:
        """The report as markdown; without `figures` it is the text a terminal shows."""
        parts = [f"# {self.title}"]
        for index, block in enumerate(self.blocks):
            if not figures and (isinstance(block, Figure | Note) or self._only_figures(index)):
                continue
            parts.append(_markdown(block))
        return "\n\n".join(parts) + "\n"

    def _only_figures(self, index: int) -> bool:
        """True for a heading whose section holds nothing but figures and notes."""
        if not isinstance(self.blocks[index], Heading):
            return False
        for block in self.blocks[index + 1:]:
            if isinstance(block, Heading):
                break
            if not isinstance(block, Figure | Note):
                return False
        return True

    def html(self) -> str:
        """The same blocks as one HTML page; images are relative links into the folder."""
        body = "\n".join(_html(block) for block in self.blocks)
        title = html.escape(self.title)
        return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                f"<title>{title}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
                f"<h1>{title}</h1>\n{body}\n</body>\n</html>\n")

    def write(self, folder: Path) -> tuple[Path, Path]:
        """Write report.md and index.html into `folder` (its PNGs are already there)."""
        folder.mkdir(parents=True, exist_ok=True)
        markdown, page = folder / MARKDOWN_FILE, folder / HTML_FILE
        atomic_write_text(markdown, self.markdown())
        atomic_write_text(page, self.html())
        return markdown, page


def _markdown(block: Block) -> str:
    if isinstance(block, Heading):
        return "#" * block.level + " " + block.text
    if isinstance(block, Text):
        text = "  \n".join(block.lines)  # two spaces: a line break in markdown
        return f"**{block.caption}**\n\n{text}" if block.caption else text
    if isinstance(block, LogbookTable):
        return block.markdown()
    if isinstance(block, Figure):
        return f"![{block.caption}]({block.file})\n\n*{block.caption}*"
    return f"*{block.text}*"


def _cells(tag: str, values: Sequence[str]) -> str:
    return "<tr>" + "".join(f"<{tag}>{html.escape(v)}</{tag}>" for v in values) + "</tr>"


def _html(block: Block) -> str:
    if isinstance(block, Heading):  # an id, so a section can be linked: index.html#slices
        anchor = re.sub(r"[^a-z0-9]+", "-", block.text.lower()).strip("-")
        return f"<h{block.level} id=\"{anchor}\">{html.escape(block.text)}</h{block.level}>"
    if isinstance(block, Text):
        caption = f"<p><strong>{html.escape(block.caption)}</strong></p>\n" if block.caption else ""
        return caption + "<p>" + "<br>\n".join(html.escape(line) for line in block.lines) + "</p>"
    if isinstance(block, LogbookTable):
        rows = "\n".join(_cells("td", row) for row in block.rows)
        head = _cells("th", block.headers)
        return (f"<p><strong>{html.escape(block.caption)}</strong></p>\n<table>\n"
                f"<thead>{head}</thead>\n<tbody>\n{rows}\n</tbody>\n</table>")
    if isinstance(block, Figure):
        src, caption = html.escape(block.file, quote=True), html.escape(block.caption)
        return (f"<figure><img src=\"{src}\" alt=\"{caption}\">"
                f"<figcaption>{caption}</figcaption></figure>")
    return f"<p class=\"note\">{html.escape(block.text)}</p>"


def table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> LogbookTable:
    """A table block of already formatted cells (the logbook tables share its type)."""
    return LogbookTable(caption, tuple(headers), tuple(tuple(row) for row in rows))


__all__ = ["Block", "Document", "Figure", "Heading", "Note", "Text", "table"]
