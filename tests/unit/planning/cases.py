"""The golden cases under tests/data/plans, planned the way `reconciler plan` plans them."""

from __future__ import annotations

from pathlib import Path

from reconciler.adapters.spec_files import load_spec_set
from reconciler.core.live import LiveState
from reconciler.core.plan import Plan
from reconciler.core.planning import plan_deployments
from reconciler.core.specs import SpecSet
from tests.unit.planning.live_yaml import load_live_state

CASES_ROOT = Path(__file__).resolve().parents[2] / "data" / "plans"
CASES = sorted(path.name for path in CASES_ROOT.iterdir() if path.is_dir())
INSTANCE = "greengrass-reconciler"
COMMIT = "0000000"


def case_inputs(case: str) -> tuple[SpecSet, LiveState]:
    root = CASES_ROOT / case
    spec_set = load_spec_set(root / "specs")
    live = load_live_state(
        root / "live.yaml",
        region=spec_set.settings.region,
        account=spec_set.settings.account_id,
        instance=INSTANCE,
    )
    return spec_set, live


def plan_case(case: str) -> Plan:
    """Plan a golden case from its files alone (raises the PlanError of an error case)."""
    spec_set, live = case_inputs(case)
    return plan_deployments(spec_set, live, instance=INSTANCE, commit=COMMIT)
