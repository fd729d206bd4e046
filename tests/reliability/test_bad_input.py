"""Malformed and hostile spec trees through `reconciler plan` against the emulator.

Hypothesis damages a copy of the sample in one or two files at a time (see hostile_text.py and
hostile_tree.py for what it does). Every tree must get a clear error: exit 1, a message that
names each damaged file (but a duplicate that is only wrong next to an intact original), no
traceback, and not one mutating call to the emulator.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from reconciler.cli import main
from tests.conftest import AwsTestContext
from tests.reliability.conftest import READ_AHEAD, SAMPLE
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
    tried: Counter[str] = Counter()  # damages, by kind
    trees: Counter[str] = Counter()  # spec trees: tried, and answered by a clear error

    # CI runs the same trees every time (a failure names its damage with note()); set
    # RELIABILITY_EXPLORE=1 to draw new ones.
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not os.environ.get("RELIABILITY_EXPLORE"),
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(mutations=MUTATIONS)
    def check(mutations: list[Mutation]) -> None:
        trees["tried"] += 1
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
            requests = seeded.admin.requests(since)
        note(output[-3000:])
        assert "Traceback" not in output
        assert isinstance(exception, SystemExit), repr(exception)
        assert code == 1
        assert any(mutation.file in output for mutation in mutations)
        for mutation in mutations:
            if mutation.standalone or len(mutations) == 1:
                assert mutation.file in output, f"the error does not name {mutation.file}"
        # No write, and no request but the full plan's reads that went ahead while the specs
        # loaded (all ended before the command did).
        assert [r for r in requests if r.mutating] == []
        assert {r.operation for r in requests} <= READ_AHEAD
        trees["clear error"] += 1

    check()
    figures.add("inputs_tried", trees["tried"])
    figures.add("inputs_damages", sum(tried.values()))
    figures.add("inputs_clean_errors", trees["clear error"])
    # Every kind of damage was tried, many times each.
    assert set(tried) >= {
        "yaml-syntax", "control-char", "invalid-utf8", "bom", "unicode-name", "alias-bomb",
        "deep-nesting", "huge", "type-error", "json-pointer", "artifact-path", "symlink",
        "recipe", "contradiction",
    }  # fmt: skip
    assert trees["clear error"] == trees["tried"] >= 200


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


def test_a_dependency_on_a_name_no_component_can_have_is_an_error(
    seeded: AwsTestContext, specs: Path
) -> None:
    """Found by the hostile trees: an invisible character in a dependency's name was accepted,
    and would only have failed on the devices."""
    recipe = specs / "components" / "com.acme.ImageUploader" / "recipe.yaml"
    text = recipe.read_text(encoding="utf-8")
    dependency = "  aws.greengrass.DLRImageClassification:"
    assert dependency in text
    recipe.write_text(text.replace(dependency, "  aws.greengrass.DLR\ufeffImageClassification:"))
    code, output, exception = _plan(specs)
    assert (code, type(exception)) == (1, SystemExit)
    assert "components/com.acme.ImageUploader/recipe.yaml:21: " in output
    assert "is not a valid name" in output
    assert {r.operation for r in seeded.admin.requests()} <= READ_AHEAD  # no write
