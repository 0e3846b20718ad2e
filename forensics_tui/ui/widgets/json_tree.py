"""The foldable tree view of a payload, for when pretty JSON is too long to read linearly.

Children are added only when a node is expanded (a 100k-item list costs nothing until opened)
and at most ``MAX_CHILDREN`` per node.  Labels are ``Text`` built from sanitised strings:
``Tree`` would parse a plain ``str`` label as markup.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Tree

from forensics_tui.core.sanitize import safe_line
from forensics_tui.ui.json_lines import (
    STYLE_KEY,
    STYLE_PUNCT,
    JsonPath,
    copy_text,
    path_text,
    scalar_text,
)

__all__ = ["JsonTree"]

MAX_CHILDREN = 500


def _label(key: str | int | None, value: Any) -> Text:
    label = Text(no_wrap=True, end="")
    if isinstance(key, int):
        label.append(f"[{key}]", style=STYLE_PUNCT)
        label.append(" ")
    elif key is not None:
        label.append(safe_line(key), style=STYLE_KEY)
        label.append(": ", style=STYLE_PUNCT)
    if isinstance(value, dict):
        label.append(f"{{{len(value)} keys}}", style=STYLE_PUNCT)
    elif isinstance(value, list):
        label.append(f"[{len(value)} items]", style=STYLE_PUNCT)
    else:
        label.append_text(scalar_text(value))
    return label


class JsonTree(Tree[tuple[JsonPath, Any]]):
    """A lazily expanded tree of one JSON value; ``y``/``Y`` copy the node's value/path."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "copy_value", "Copy value", id="tree-copy-value"),
        Binding("Y", "copy_path", "Copy path", show=False, id="tree-copy-path"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("payload"), id=id)
        self.show_root = True
        self.guide_depth = 2

    def show_value(self, name: str, value: Any, base: JsonPath) -> None:
        self.clear()
        self.root.set_label(_label(name, value))
        self.root.data = (base, value)
        self._fill(self.root)
        self.root.expand()

    def _fill(self, node: Any) -> None:
        path, value = node.data
        if isinstance(value, dict):
            items = list(value.items())
        elif isinstance(value, list):
            items = list(enumerate(value))
        else:
            node.allow_expand = False
            return
        for key, child in items[:MAX_CHILDREN]:
            leaf = not (isinstance(child, dict | list) and child)
            new = node.add(_label(key, child), data=((*path, key), child), allow_expand=not leaf)
            new.data = ((*path, key), child)
        if len(items) > MAX_CHILDREN:
            node.add_leaf(Text(f"… {len(items) - MAX_CHILDREN} more", style="dim"), data=None)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[tuple[JsonPath, Any]]) -> None:
        node = event.node
        if node.data is not None and not node.children:
            self._fill(node)

    def _cursor_data(self) -> tuple[JsonPath, Any] | None:
        node = self.cursor_node
        return node.data if node is not None else None

    def action_copy_value(self) -> None:
        data = self._cursor_data()
        if data is None:
            self.app.bell()
            return
        self.app.copy_to_clipboard(copy_text(data[1]))
        self.notify(f"Copied value of {path_text(data[0]) or 'the payload'}", markup=False)

    def action_copy_path(self) -> None:
        data = self._cursor_data()
        if data is None:
            self.app.bell()
            return
        text = path_text(data[0])
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied path {text}", markup=False)
