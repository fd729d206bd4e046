"""The engine: the runtime (clients, rate limit, retries), reading the live fleet, applying a
plan, one reconcile cycle, and the long-running controller with its leader election."""
