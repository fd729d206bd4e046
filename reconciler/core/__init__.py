"""The pure core: spec model, desired state, diffs, configuration patches, plans, renderers.

Nothing here performs I/O; an import-linter contract in pyproject.toml holds that.
"""
