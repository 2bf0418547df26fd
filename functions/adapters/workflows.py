"""Step Functions: starting one execution per dunning case."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from functions.adapters.aws import client
from functions.core.errors import EncaisseError


class WorkflowError(EncaisseError):
    """Step Functions refused or failed a call."""


@dataclass(frozen=True, slots=True)
class StartedExecution:
    execution_arn: str
    started: bool  # False: an execution of that name existed already


class StepFunctionsWorkflows:
    def __init__(self, state_machine_arn: str) -> None:
        self.state_machine_arn = state_machine_arn

    def start(self, name: str, payload: dict[str, Any]) -> StartedExecution:
        """Start the execution called ``name`` once; a second call starts nothing.

        Names are unique per state machine for 90 days after an execution ends, so
        the case id as name makes a case start at most once.
        """
        try:
            resp = client("stepfunctions").start_execution(
                stateMachineArn=self.state_machine_arn,
                name=name,
                input=json.dumps(payload, separators=(",", ":"), sort_keys=True),
            )
        except ClientError as e:
            if e.response["Error"]["Code"] == "ExecutionAlreadyExists":
                return StartedExecution(self.execution_arn(name), started=False)
            raise WorkflowError(f"start {name}: {e}") from e
        return StartedExecution(str(resp["executionArn"]), started=True)

    def execution_arn(self, name: str) -> str:
        # arn:aws:states:r:a:stateMachine:M → arn:aws:states:r:a:execution:M:name
        return self.state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"
