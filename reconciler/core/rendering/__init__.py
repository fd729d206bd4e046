"""Renderers of a plan: terminal text, JSON, and Markdown for pull-request comments.

All of them print only what `Plan` marks as printable: secret values arrive here redacted.
"""

from reconciler.core.rendering.json_report import render_json
from reconciler.core.rendering.markdown import MAX_COMMENT_CHARS, render_markdown
from reconciler.core.rendering.text import render_text

__all__ = ["MAX_COMMENT_CHARS", "render_json", "render_markdown", "render_text"]
