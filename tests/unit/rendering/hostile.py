"""Hostile strings, and plans that carry one in every string a pull request can choose.

`hostile_plan(h)` and `hostile_plan("x")` have the same shape: a renderer that escapes
correctly gives both the same structure (lines, Markdown blocks); only the text differs.
"""

from __future__ import annotations

from hypothesis import strategies as st

from reconciler.core.configuration.model import ConfigurationChange
from reconciler.core.plan import (
    ComponentAction,
    ComponentOrigin,
    ComponentPlan,
    ComponentVersionPlan,
    FieldChange,
    Plan,
    TargetAction,
    TargetPlan,
)
from tests.unit.rendering.plans import ARN_PREFIX

# What breaks out of a line, a code fence, a table cell, a <details> block or inline text, or
# acts on a terminal.
FRAGMENTS = (
    "\n", "\r", "\r\n", "\n\n", "\x1b[2K", "\x1b[1A", "\x1b]8;;https://t.example\x07", "\x9b1A",
    "\x00", "\x7f", "\b", "\t", "\u202e", "\u2066", "\u2028", "\u2029", "\x85",
    "`", "```", "~~~", "``` diff", "<details>", "</details>", "</summary>", "</code>", "</b>",
    "<img src=https://t.example/p.png>", "![t](https://t.example/p.png)", "<script>x</script>",
    "@octocat", "@acme/reviewers", " @x", "|", "\\|", "\\", "*", "**", "_", "[l](https://x)",
    "**No changes.**", "# Heading", "> quote", "- item", "1. item", "---", "&amp;", "&#64;x",
    "<!--", "-->", "$x$", "   ", "a", "é", "😀", "~",
)  # fmt: skip
WORST = "".join(FRAGMENTS)


def hostile_strings() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=8).map("".join)


def pointer(key: str) -> str:
    return "/" + key.replace("~", "~0").replace("/", "~1")


def hostile_plan(h: str) -> Plan:
    """Every spec-derived string of a plan (names, files, keys, values, warnings) carries `h`."""
    key, nested = f"Key{h}", f"Sub{h}"
    before = {key: "old", "Keep": {nested: 1}}
    after = {key: f"new{h}", "Keep": {nested: 2}, f"Added{h}": True}
    component = ComponentPlan(
        name=f"com.example.C{h}",
        action=ComponentAction.CHANGE,
        live_version=f"1.0.0{h}",
        desired_version=f"1.0.1{h}",
        merge_preview=after,
        configuration_change=ConfigurationChange(
            added=(pointer(f"Added{h}"),),
            changed=(pointer(key), f"/Keep{pointer(nested)}"),
        ),
        effective_configuration=after,
        live_effective_configuration=before,
        reset=(pointer(f"Gone{h}"),),
    )
    updated = TargetPlan(
        thing_group=f"Group{h}",
        target_arn=ARN_PREFIX + "Group",
        action=TargetAction.UPDATE,
        spec_name=f"group{h}",
        spec_file=f"groups/group{h}.yaml",
        live_deployment_id="d-1",
        live_revision_id=f"4{h}",
        live_managed=True,
        components=(component,),
        field_changes=(FieldChange(f"deploymentName{h}", f"old{h}", f"new{h}"),),
        warnings=(f"warning about {h} in a group",),
    )
    created = TargetPlan(
        thing_group=f"New{h}",
        target_arn=ARN_PREFIX + "New",
        action=TargetAction.CREATE,
        spec_name=f"new{h}",
        spec_file=f"groups/new{h}.yaml",
        components=(
            ComponentPlan(
                name=f"com.example.Fresh{h}",
                action=ComponentAction.ADD,
                live_version=None,
                desired_version=f"2.0.0{h}",
            ),
        ),
    )
    quiet = TargetPlan(
        thing_group=f"Quiet{h}",
        target_arn=ARN_PREFIX + "Quiet",
        action=TargetAction.NOOP,
        spec_file=f"groups/quiet{h}.yaml",
        live_deployment_id="d-q",
        live_revision_id="2",
        warnings=(f"the latest revision FAILED {h}",),
    )
    version = ComponentVersionPlan(
        name=f"com.example.Fresh{h}",
        version=f"2.0.0{h}",
        origin=ComponentOrigin.OVERRIDE,
        exists=False,
        recipe={},
        content_hash="f" * 64,
        base_version=f"1.9.0{h}",
    )
    return Plan(
        targets=(updated, created, quiet),
        component_versions=(version,),
        warnings=(f"an account-wide warning {h}",),
        commit=f"abc1234{h}",
    )
