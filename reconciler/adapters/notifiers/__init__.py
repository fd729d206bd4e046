"""Delivering the controller's events (`core.events`) to the outside world.

`NotifyingPublisher` is the `EventPublisher` the engine gets: it hands each event to the sinks
that want its kind, each from its own background worker with a bounded queue, retries what
failed for a temporary reason with back-off, and never blocks nor raises into a reconcile
cycle. Sinks: a Slack-compatible incoming webhook, a JSON webhook signed with HMAC-SHA256, SNS,
EventBridge (`webhooks`, `aws`) and GitHub commit statuses and deployments
(`adapters.notifiers.github_feedback`). `build_publisher` builds it from the process settings.
"""
