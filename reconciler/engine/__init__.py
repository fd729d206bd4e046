"""The engine: ports, applying a plan, one reconcile cycle, the long-running controller."""
