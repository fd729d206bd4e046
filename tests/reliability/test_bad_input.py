"""Malformed and hostile spec trees through `reconciler plan` against the emulator.

Hypothesis damages a copy of the sample in one or two files at a time (see hostile_text.py and
hostile_tree.py for what it does). Every tree must get a clear error: exit 1, a message that
names each damaged file, no traceback, and not one mutating call to the emulator.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from reconciler.cli import main
from tests.conftest import AwsTestContext
from tests.reliability.conftest import SAMPLE
from tests.reliability.figures import Figures
from tests.reliability.fleet import last_seq
from tests.reliability.hostile_text import TEXT_MUTATIONS, Mutation
from tests.reliability.hostile_tree import TREE_MUTATIONS

EXAMPLES = 300
MUTATIONS = st.lists(
    st.one_of(TEXT_MUTATIONS, TREE_MUTATIONS), min_size=1, max_size=2, unique_by=lambda m: m.file
)


def _plan(root: Path) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(main, ["plan", "--specs", str(root)])
    return result.exit_code, result.output, result.exception


def test_hostile_spec_trees_get_a_clear_error_and_no_write(
    seeded: AwsTestContext, figures: Figures
) -> None:
    tried: Counter[str] = Counter()
    clean: list[int] = []

    # derandomize: CI runs the same trees every time; a failure names its damage (note()).
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(mutations=MUTATIONS)
    def check(mutations: list[Mutation]) -> None:
        with tempfile.TemporaryDirectory() as scratch:
            root = Path(scratch) / "deploy-specs"
            shutil.copytree(SAMPLE, root)
            for mutation in mutations:
                note(f"{mutation.kind}: {mutation.detail}")
                event(mutation.kind)
                tried[mutation.kind] += 1
                mutation.write(root)
            since = last_seq(seeded)
            code, output, exception = _plan(root)
            writes = [r for r in seeded.admin.requests(since) if r.mutating]
        note(output[-3000:])
        assert "Traceback" not in output
        assert isinstance(exception, SystemExit), repr(exception)
        assert code == 1
        for mutation in mutations:
            assert mutation.file in output, f"the error does not name {mutation.file}"
        assert writes == []
        clean.append(1)

    check()
    figures.add("inputs_tried", sum(tried.values()))
    figures.add("inputs_clean_errors", len(clean))
    # Every kind of damage was tried, many times each.
    assert set(tried) >= {
        "yaml-syntax", "control-char", "invalid-utf8", "bom", "unicode-name", "alias-bomb",
        "deep-nesting", "huge", "type-error", "json-pointer", "artifact-path", "symlink",
        "recipe", "contradiction",
    }  # fmt: skip
    assert sum(tried.values()) >= 200


def test_a_byte_order_mark_at_the_start_of_every_file_changes_nothing(
    seeded: AwsTestContext, tmp_path: Path
) -> None:
    """A UTF-8 BOM before the first character is allowed (YAML 1.2 reads it as no content)."""
    plain = tmp_path / "plain"
    marked = tmp_path / "marked"
    shutil.copytree(SAMPLE, plain)
    shutil.copytree(SAMPLE, marked)
    for path in marked.rglob("*.yaml"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    expected = _plan(plain)
    actual = _plan(marked)
    assert actual[0] == expected[0] == 2
    assert actual[1].replace(str(marked), "") == expected[1].replace(str(plain), "")
