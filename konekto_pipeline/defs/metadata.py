"""Small helpers that make asset metadata readable in the Dagster UI."""

from collections.abc import Iterable, Sequence


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table; None shows as a dash, pipes in values are escaped."""
    lines = [_line(header), _line(["---"] * len(header))]
    lines += [_line(["–" if value is None else value for value in row]) for row in rows]
    return "\n".join(lines)


def _line(cells: Sequence[object]) -> str:
    return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"
