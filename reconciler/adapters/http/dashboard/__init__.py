"""The fleet dashboard: read-only HTML pages rendered from the status documents /status serves.

docs/dashboard.md says what it shows, how to protect it and how to reach it.
"""

from reconciler.adapters.http.dashboard.pages import (
    CONTENT_SECURITY_POLICY,
    Dashboard,
    DashboardSource,
)

__all__ = ["CONTENT_SECURITY_POLICY", "Dashboard", "DashboardSource"]
