"""A pull request's strings cannot rewrite what reviewers read: the PR comment and the terminal.

The sample gets configuration keys and a spec file name made of everything that breaks out of
a Markdown diff block or a `<details>` section (newlines, fences, `</details>`, HTML, images,
@mentions, a fake "No changes.") or acts on a terminal (ESC and CSI sequences, a carriage
return, a right-to-left override). Then, through the CLI against the emulator:

- `plan --format markdown` is parsed back with a CommonMark parser (markdown-it-py, GFM tables):
  exactly the renderer's own blocks, no image, link, raw inline HTML or mention, no control
  character, and the hostile key shown (escaped) inside its diff block;
- `plan` (text) and `validate`, on valid and on invalid specs, print no control character and
  no line that is not their own, and show the hostile names with visible escapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt
from markdown_it.token import Token

from reconciler.cli import main
from tests.conftest import AwsTestContext
from tests.reliability.figures import Figures

PARSER = MarkdownIt("commonmark").enable("table")
BREAKOUT = (
    "\n```\n\n</details>\n\n**No changes.** @octocat ![t](https://t.example/p.png)"
    "<img src=https://t.example/i.png>\n<details>\n```diff\n"
)
# ESC and CSI cannot be in a key at all (validation refuses them as unsendable: see
# test_bad_input), so the key carries the terminal tricks a spec can hold; the file name, which
# is not sent anywhere, carries ESC sequences.
TERMINAL = "\r\u2028\x85\u202eok"
HOSTILE_KEY = BREAKOUT + TERMINAL
# YAML double-quoted escapes write the same characters into the spec file.
HOSTILE_KEY_YAML = (
    '"\\n```\\n\\n</details>\\n\\n**No changes.** @octocat ![t](https://t.example/p.png)'
    '<img src=https://t.example/i.png>\\n<details>\\n```diff\\n\\r\\L\\N\\u202eok"'
)
HOSTILE_FILE = "camera\x1b[2K\rprod`<details><img src=x>\n**No changes.**\u202e.yaml"
CONTROL = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
MENTION = re.compile(r"(?:^|[^\w`])@[A-Za-z0-9_]")
PROD = "groups/camera-prod.yaml"


def _hostile_specs(specs: Path, *, valid: bool) -> None:
    """A hostile configuration key (and, when not `valid`, a hostile bad version) in camera-prod,
    whose file gets a hostile name."""
    path = specs / PROD
    text = path.read_text(encoding="utf-8")
    anchor = "        Endpoint: https://results.acme.example/v1/inferences\n"
    assert anchor in text
    text = text.replace(anchor, f"{anchor}        {HOSTILE_KEY_YAML}: {HOSTILE_KEY_YAML}\n")
    if not valid:
        text = text.replace("    com.acme.ImageUploader:\n", f"    {HOSTILE_KEY_YAML}:\n", 1)
    path.unlink()
    (specs / "groups" / HOSTILE_FILE).write_text(text, encoding="utf-8")


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def _flatten(tokens: list[Token]) -> list[Token]:
    return [t for token in tokens for t in (token, *_flatten(token.children or []))]


def _markdown_problems(text: str) -> list[str]:
    """What in a plan comment is not the renderer's own structure."""
    problems = []
    flat = _flatten(PARSER.parse(text))
    kinds = [t.type for t in flat]
    sections = kinds.count("fence")
    blocks = [t.content for t in flat if t.type == "html_block"]
    if len(blocks) != 1 + 2 * sections or blocks.count("</details>\n") != sections:
        problems.append(f"{len(blocks)} raw HTML blocks for {sections} sections")
    for block in blocks[1:]:
        tags = re.findall(r"</?([a-zA-Z]+)", block)
        if not set(tags) <= {"details", "summary", "b", "code"} or MENTION.search(block):
            problems.append(f"a section opening of someone else's making: {block!r}")
    for kind in ("image", "link_open", "html_inline"):
        if kind in kinds:
            problems.append(f"an {kind} token")
    own_bold = ("Plan: ", "No changes.", "Component versions to create")
    for index, kind in enumerate(kinds):
        if kind == "strong_open" and not flat[index + 1].content.startswith(own_bold):
            problems.append(f"bold text of someone else's making: {flat[index + 1].content!r}")
    if any(t.type == "text" and MENTION.search(t.content) for t in flat):
        problems.append("an @mention")
    for fence in (t for t in flat if t.type == "fence"):
        if any(line[:2] not in ("+ ", "- ", "! ") for line in fence.content.splitlines()):
            problems.append(f"a line in a diff block that is not a diff line: {fence.content!r}")
    if CONTROL.search(text):
        problems.append("a control character")
    return problems


def _terminal_problems(text: str, own_lines: Callable[[str], bool]) -> list[str]:
    problems = [f"a line that is not the command's own: {line!r}" for line in text.splitlines()]
    problems = [
        p for p, line in zip(problems, text.splitlines(), strict=True) if not own_lines(line)
    ]
    if CONTROL.search(text):
        problems.append("a control character")
    return problems


def _shown(text: str) -> bool:
    """The hostile key, written visibly (escapes) in full."""
    return "\\n```\\n\\n</details>" in text and "\\r\\u2028\\x85\\u202eok" in text


def test_hostile_keys_and_file_names_cannot_rewrite_plans_or_comments(
    seeded: AwsTestContext, specs: Path, figures: Figures
) -> None:
    _hostile_specs(specs, valid=True)
    code, comment = _cli("plan", "--specs", str(specs), "--format", "markdown")
    assert code == 2, comment
    markdown_problems = _markdown_problems(comment)
    assert _shown(comment)
    assert (
        "\\x1b[2K\\rprod`&lt;details&gt;&lt;img src=x&gt;\\n**No changes.**\\u202e.yaml" in comment
    )

    code, text = _cli("plan", "--specs", str(specs))
    assert code == 2, text
    # Every line of a text plan is indented under its heading, or is a heading or summary.
    text_problems = _terminal_problems(
        text,
        lambda line: (
            line == ""
            or line.startswith(
                ("Plan:", "Reading live state", "Thing groups:", "Component versions")
            )
            or line.startswith(("  ", "! "))
        ),
    )
    assert _shown(text)

    figures.add("injections_tried", 2)
    figures.add("injections_through", len(markdown_problems) + len(text_problems))
    assert markdown_problems == []
    assert text_problems == []


@pytest.mark.parametrize("valid", [True, False], ids=["valid", "invalid"])
def test_validate_shows_hostile_names_with_visible_escapes(
    specs: Path, valid: bool, figures: Figures
) -> None:
    _hostile_specs(specs, valid=valid)
    code, output = _cli("validate", str(specs))
    root = specs.as_posix()
    # A problem line starts with the file it is about; the last line counts them.
    problems = _terminal_problems(
        output,
        lambda line: line == "" or line.startswith(root) or line.startswith(f"{root}:"),
    )
    figures.add("injections_tried", 1)
    figures.add("injections_through", len(problems))
    assert problems == []
    if not valid:
        assert code == 1
        assert "camera\\x1b[2K\\rprod`<details><img src=x>\\n**No changes.**\\u202e.yaml" in output
