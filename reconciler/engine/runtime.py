"""Wire the adapters for one account and region: clients, caller, gateway, reader, applier."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import boto3

from reconciler.adapters.aws.artifacts import ArtifactStore
from reconciler.adapters.aws.calling import AwsCaller, CallStats
from reconciler.adapters.aws.clients import AwsClients, ClientSettings
from reconciler.adapters.aws.cloudwatch import MetricReader
from reconciler.adapters.aws.greengrass import GreengrassGateway
from reconciler.adapters.aws.ratelimit import (
    AdaptiveRates,
    RateClasses,
    SharedBudget,
    TokenBucket,
)
from reconciler.adapters.aws.rollouts import RolloutReader
from reconciler.adapters.cache import FactCache
from reconciler.adapters.cache.plans import KeptPlans, code_digest
from reconciler.core.events import EventPublisher, NoEventPublisher
from reconciler.core.live import DeploymentSummary
from reconciler.core.plan import Plan
from reconciler.core.planning import (
    PlanMemo,
    device_count_needs,
    plan_deployments,
    with_device_counts,
)
from reconciler.core.planning.remembered import plan_context
from reconciler.core.rollouts import follow_up_rate
from reconciler.core.specs.spec_set import SpecSet
from reconciler.engine.applying import Applier
from reconciler.engine.kept_plans import KeptPlanMemo
from reconciler.engine.memo import CompactPlanMemo
from reconciler.engine.reading import LiveStateReader, ReadScope
from reconciler.errors import PlanError
from reconciler.settings import ReconcilerSettings


@dataclass
class Runtime:
    settings: ReconcilerSettings
    region: str
    account: str
    clients: AwsClients
    caller: AwsCaller
    gateway: GreengrassGateway
    reader: LiveStateReader
    artifacts: ArtifactStore
    # Reads of rollouts (DescribeJob...) drawing from the follow-up share of the rate limit.
    rollouts: RolloutReader
    # Reads of the gates' metric checks (GetMetricData), from the same follow-up share.
    metrics: MetricReader
    # Plans of earlier cycles (see engine/memo.py): the controller re-plans only what moved.
    # None in a process that plans once (the CLI): there is no later plan to reuse them.
    memo: CompactPlanMemo | None = field(default_factory=CompactPlanMemo)
    # The no-op plans of earlier processes (engine/kept_plans.py), for a process without a
    # memo of its own whose plans are rendered as text or Markdown (they print no-ops compact).
    kept_plans: KeptPlans | None = None
    # How many groups the last plan took from them (0 without): what a test or a log can see.
    kept_plan_hits: int = 0
    # Where applied/rollout/drift/failure events go (notification sinks, Git feedback).
    events: EventPublisher = field(default_factory=NoEventPublisher)

    @property
    def stats(self) -> CallStats:
        return self.caller.stats

    def applier(
        self,
        progress: Callable[[str], None] | None = None,
        may_write: Callable[[], bool] | None = None,
    ) -> Applier:
        return Applier(
            self.gateway,
            self.artifacts,
            progress=progress,
            may_write=may_write,
            rollouts=self.rollouts,
        )

    def verify_account(self) -> None:
        """Refuse to touch an account other than the one the specs name."""
        identity = self.caller.call(self.clients.sts, "get_caller_identity")
        actual = str(identity.get("Account", ""))
        if actual != self.account:
            raise PlanError(
                f"the AWS credentials in use belong to account {actual}, but the specs' Settings "
                f"name account {self.account}; refusing to plan or apply against the wrong account"
            )

    def plan(
        self,
        spec_set: SpecSet,
        *,
        commit: str | None,
        specs_path: str | None,
        compact: bool = False,
        scope: ReadScope | None = None,
        keep_going: bool = False,
        count_devices: bool = True,
        summaries: Mapping[str, DeploymentSummary] | None = None,
    ) -> Plan:
        """Read the live state and plan. The controller, which renders no diff, asks for a
        `compact` plan (see `plan_target`), except for drifted targets, planned in full so
        that their drift can be reported field by field (drift is rare); and to `keep_going`
        past groups that cannot be planned (see `plan_deployments`). A `scope` reads (and so
        plans, prune included) only the thing groups it names: `spec_set` then holds only the
        Deployments of those. A plan that is not `compact` shows devices (`device_count_needs`)
        unless `count_devices` is off. `summaries`: the latest deployments read ahead
        (engine/read_ahead.py), for a plan of every group."""
        live = self.reader.read(spec_set, scope=scope, summaries=summaries)
        memo: PlanMemo | None = self.memo
        kept: KeptPlanMemo | None = None
        if memo is None and self.kept_plans is not None and not compact:
            stored = self.kept_plans.load()
            memo = kept = KeptPlanMemo(plan_context(code_digest(), live), stored)
        plan = plan_deployments(
            spec_set,
            live,
            instance=self.settings.instance,
            commit=commit,
            specs_path=specs_path,
            memo=memo,
            compact=compact,
            keep_going=keep_going,
        )
        if kept is not None and self.kept_plans is not None:
            self.kept_plan_hits = kept.hits
            records = kept.records()
            if records.keys() != stored.keys():
                self.kept_plans.save(records)
        # Only a plan people read shows devices (the controller's compact plans render nothing).
        if not compact and count_devices:
            plan = self._count_devices(plan)
        drifted = {t.thing_group for t in plan.targets if t.drift}
        if not (compact and drifted):
            return plan
        subset = replace(
            spec_set,
            deployments=tuple(d for d in spec_set.deployments if d.thing_group in drifted),
        )
        full = plan_deployments(
            subset, live, instance=self.settings.instance, compact=False, keep_going=True
        )
        in_full = {t.thing_group: t for t in full.targets if t.thing_group in drifted}
        return replace(plan, targets=tuple(in_full.get(t.thing_group, t) for t in plan.targets))

    def _count_devices(self, plan: Plan) -> Plan:
        """The devices the plan shows: each prune candidate's, and each group's of the Rollouts
        its change goes through (`device_count_needs`): one ListThingsInThingGroup sweep per
        group, only for plans that are rendered (a candidate left while prune is off would
        otherwise cost a sweep every cycle), none when the plan needs none. They are the plan's
        reads, so they draw from the reconciling rate, not from the follow-up share."""
        groups = sorted(device_count_needs(plan))
        if not groups:
            return plan
        members = RolloutReader(self.clients, self.caller, account=self.account).group_members
        return with_device_counts(plan, {group: members(group) for group in groups})


def build_runtime(
    settings: ReconcilerSettings,
    *,
    region: str,
    account: str,
    stats: CallStats | None = None,
    events: EventPublisher | None = None,
    session: boto3.session.Session | None = None,
    remember_plans: bool = True,
    keep_plans: bool = False,
) -> Runtime:
    """The runtime of one account and region. Its clients come from `session` (a new boto3
    session, with the standard credential chain, when none is given), each on first use.
    A process that plans once passes `remember_plans=False`: it keeps no plan memo; with
    `keep_plans` (and the fact cache on) it takes its no-op plans from earlier processes'
    and keeps its own for later ones (`Runtime.kept_plans`)."""
    clients = AwsClients(
        ClientSettings(
            region=region,
            endpoint_url=settings.endpoint_url,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            max_pool_connections=max(10, settings.concurrency * 2),
        ),
        session=session,
    )
    budget = TokenBucket(settings.rate_limit, settings.rate_burst)
    # One adaptive rate per API for the whole process: AWS's quotas are per account and API,
    # so reconciling and following rollouts slow down together when one of them is throttled.
    adaptive = (
        AdaptiveRates(
            RateClasses(
                reads=settings.read_rate_limit,
                writes=settings.write_rate_limit,
                apis=dict(settings.api_rate_limits),
                burst=settings.rate_burst,
            ),
            default_limit=settings.rate_limit,
        )
        if settings.adaptive_rate
        else None
    )
    caller = AwsCaller(
        rate_limit=budget, retry=settings.retry_policy(), stats=stats, adaptive=adaptive
    )
    share = follow_up_rate(settings.rate_limit, settings.rollout_budget_share)
    follow_up_caller = AwsCaller(
        rate_limit=SharedBudget([TokenBucket(share, max(1, int(share))), budget]),
        retry=settings.retry_policy(),
        stats=caller.stats,
        adaptive=adaptive,
    )
    facts = (
        FactCache(settings.cache_dir / "facts", max_bytes=settings.cache_max_mb * 1024 * 1024)
        if settings.fact_cache
        else None
    )
    gateway = GreengrassGateway(
        clients, caller, account=account, concurrency=settings.concurrency, facts=facts
    )
    return Runtime(
        settings=settings,
        region=region,
        account=account,
        clients=clients,
        caller=caller,
        gateway=gateway,
        reader=LiveStateReader(gateway, listing_ttl=settings.listing_ttl),
        artifacts=ArtifactStore(clients, caller),
        rollouts=RolloutReader(clients, follow_up_caller, account=account),
        metrics=MetricReader(clients, follow_up_caller),
        events=events or NoEventPublisher(),
        memo=CompactPlanMemo() if remember_plans else None,
        kept_plans=(
            KeptPlans(facts, region=region, account=account, instance=settings.instance)
            if facts is not None and keep_plans and not remember_plans
            else None
        ),
    )
