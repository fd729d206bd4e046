"""AWS adapters: one place that creates clients, limits their rate, retries and maps errors."""
