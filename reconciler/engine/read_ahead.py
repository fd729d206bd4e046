"""The reads a full plan makes whatever the specs say, made while the specs load.

At the default client rate (20 calls/s, burst 40) the 100 listing pages of a 10,000-group
sweep cost about 3 s of waiting, and a plan used to start them only once its specs had loaded
(about as long again, all CPU). The account check, the sweep of every target's latest
deployment and the listing of the account's own components depend only on the account and
region, which the conventional Settings file states (`settings_hint`): a second thread makes
them while the main one loads the specs, and the plan takes their results.

Only these read-only calls run ahead. When the loaded Settings name another account or region
(the hint was wrong) the results are dropped and read again. An error of a call made ahead is
raised where the plan would have made that call, so the command says what it always said; when
the specs do not load, the command prints their problems and waits for the calls in flight to
end before it exits, so none outlives it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from reconciler.core.live import DeploymentSummary
from reconciler.engine.runtime import Runtime


class ReadAhead:
    """The account check, the latest-deployment sweep and the private component names of one
    runtime, read on a thread of their own from construction on."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._verify_error: Exception | None = None
        self._sweep_error: Exception | None = None
        self._summaries: dict[str, DeploymentSummary] = {}
        self._thread = threading.Thread(target=self._read, name="read-ahead", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            self.runtime.verify_account()
        except Exception as error:  # raised again by `verify_account`, in the command's thread
            self._verify_error = error
            return  # the wrong account (or none): nothing else is read from it
        try:
            self._summaries = self.runtime.reader.latest_summaries(None)
            self.runtime.reader.private_component_names()  # kept by the reader for its read
        except Exception as error:  # raised again by `summaries`
            self._sweep_error = error

    def is_for(self, region: str, account: str) -> bool:
        """Whether these reads are of the account and region the loaded Settings name."""
        return (self.runtime.region, self.runtime.account) == (region, account)

    def wait(self) -> None:
        """Until the calls in flight have ended."""
        self._thread.join()

    def verify_account(self) -> None:
        """`Runtime.verify_account`, as it went ahead."""
        self.wait()
        if self._verify_error is not None:
            raise self._verify_error

    def summaries(self) -> Mapping[str, DeploymentSummary]:
        """Every target's latest deployment, as the sweep read it ahead."""
        self.verify_account()
        if self._sweep_error is not None:
            raise self._sweep_error
        return self._summaries
