"""Leader leases: only the replica holding the lease writes to AWS.

Three stores, one protocol (`Lease`) and one elector thread (`LeaderElector`):
`FileLease` for one machine, `S3Lease` for replicas outside Kubernetes, `KubernetesLease` for
replicas in a cluster. docs/leader-election.md says when to use which.
"""

from reconciler.adapters.leases.base import (
    DEFAULT_GRACE_SECONDS,
    Lease,
    LeaseError,
    LeaseRecord,
    default_identity,
)
from reconciler.adapters.leases.election import LeaderElector
from reconciler.adapters.leases.file import FileLease
from reconciler.adapters.leases.kubernetes import KubernetesLease, in_cluster_namespace
from reconciler.adapters.leases.s3 import S3Lease

__all__ = [
    "DEFAULT_GRACE_SECONDS",
    "FileLease",
    "KubernetesLease",
    "LeaderElector",
    "Lease",
    "LeaseError",
    "LeaseRecord",
    "S3Lease",
    "default_identity",
    "in_cluster_namespace",
]
