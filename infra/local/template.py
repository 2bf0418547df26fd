"""template.yaml read as CloudFormation would: short-form tags, SAM Globals, intrinsics.

The local platform builds every resource from the template (nothing is listed twice), so
this module turns the SAM template into plain values for one stack: names, ARNs, the
environment of each function, the event sources. Only the intrinsics the template uses
are supported; an unknown one raises :class:`TemplateError` rather than guessing.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"

STACK_NAME = "encaisse-local"
REGION = "eu-west-3"
ACCOUNT_ID = "123456789012"


class TemplateError(Exception):
    """The template uses something the local platform cannot resolve."""


# ------------------------------------------------------------------ YAML


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that reads CloudFormation short forms (!Ref, !Sub …) as long forms."""


def _construct(tag: str) -> Callable[[yaml.Loader, yaml.Node], dict[str, Any]]:
    name = "Ref" if tag == "Ref" else f"Fn::{tag}"

    def construct(loader: yaml.Loader, node: yaml.Node) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            # !GetAtt A.B is the short form of [A, B].
            if tag == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {name: value}

    return construct


for _tag in (
    "Ref",
    "Sub",
    "GetAtt",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "Join",
    "Select",
    "Split",
    "FindInMap",
    "GetAZs",
    "ImportValue",
    "Base64",
    "Cidr",
    "Condition",
    "ToJsonString",
):
    _CfnLoader.add_constructor(f"!{_tag}", _construct(_tag))


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as a dict, intrinsics in their long form (``{"Fn::Sub": …}``)."""
    with path.open(encoding="utf-8") as f:
        loaded = yaml.load(f, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(loaded, dict) or "Resources" not in loaded:
        raise TemplateError(f"{path} is not a CloudFormation template")
    return loaded


def _merge_globals(global_value: Any, local_value: Any) -> Any:
    """SAM's Globals rule: maps merge, lists concatenate, scalars are overridden."""
    if isinstance(global_value, dict) and isinstance(local_value, dict):
        merged = dict(global_value)
        for key, value in local_value.items():
            merged[key] = _merge_globals(global_value[key], value) if key in global_value else value
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return global_value + local_value
    return local_value


def apply_globals(template: dict[str, Any]) -> dict[str, Any]:
    """A copy of the template with ``Globals`` folded into each serverless resource."""
    result = copy.deepcopy(template)
    globals_ = result.pop("Globals", {}) or {}
    kinds = {
        "Function": "AWS::Serverless::Function",
        "Api": "AWS::Serverless::Api",
        "StateMachine": "AWS::Serverless::StateMachine",
    }
    for section, values in globals_.items():
        resource_type = kinds.get(section)
        for resource in result["Resources"].values():
            if resource.get("Type") == resource_type:
                resource["Properties"] = _merge_globals(values, resource.get("Properties", {}))
    return result


# ------------------------------------------------------------------ names

# The property holding the physical name, per resource type.
_NAME_PROPERTIES = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Serverless::Function": "FunctionName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Serverless::StateMachine": "Name",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::Serverless::Api": "Name",
}


@dataclass
class Stack:
    """One stack of the template: parameters, conditions and the resolution of intrinsics.

    ``queue_urls`` is filled by whoever creates the queues (the URL depends on the
    endpoint); ``placeholders`` gives values to attributes of resources that do not
    exist locally (the CloudFront domain, the API id …).
    """

    template: dict[str, Any]
    stack_name: str = STACK_NAME
    region: str = REGION
    account_id: str = ACCOUNT_ID
    parameter_overrides: Mapping[str, str] = field(default_factory=dict)
    queue_urls: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.template = apply_globals(self.template)
        self.parameters: dict[str, Any] = {}
        for name, spec in (self.template.get("Parameters") or {}).items():
            if name in self.parameter_overrides:
                self.parameters[name] = self.parameter_overrides[name]
            elif "Default" in spec:
                self.parameters[name] = spec["Default"]
            else:
                raise TemplateError(f"parameter {name} has no default and no value")
        self._conditions: dict[str, bool] = {}

    # -------------------------------------------------------------- queries

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template["Resources"]  # type: ignore[no-any-return]

    def of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        """Resources of these types whose Condition holds, in template order."""
        return {
            logical_id: resource
            for logical_id, resource in self.resources.items()
            if resource.get("Type") in types and self.resource_enabled(logical_id)
        }

    def resource_enabled(self, logical_id: str) -> bool:
        condition = self.resources[logical_id].get("Condition")
        return condition is None or self.condition(condition)

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            expression = (self.template.get("Conditions") or {}).get(name)
            if expression is None:
                raise TemplateError(f"unknown condition {name}")
            self._conditions[name] = bool(self.resolve(expression))
        return self._conditions[name]

    def physical_name(self, logical_id: str) -> str:
        resource = self.resources.get(logical_id)
        if resource is None:
            raise TemplateError(f"unknown resource {logical_id}")
        prop = _NAME_PROPERTIES.get(resource["Type"])
        name = (resource.get("Properties") or {}).get(prop) if prop else None
        if name is None:
            # CloudFormation would generate one; locally the logical id is stable enough.
            return f"{self.stack_name}-{logical_id}"
        return str(self.resolve(name))

    def properties(self, logical_id: str) -> dict[str, Any]:
        """The resource's properties with every intrinsic resolved."""
        resolved = self.resolve(self.resources[logical_id].get("Properties") or {})
        assert isinstance(resolved, dict)
        return resolved

    # -------------------------------------------------------------- Ref / GetAtt

    def _pseudo(self, name: str) -> Any:
        return {
            "AWS::StackName": self.stack_name,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": (
                f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/"
                f"{self.stack_name}/00000000-0000-0000-0000-000000000000"
            ),
            "AWS::NoValue": _NO_VALUE,
        }.get(name, _MISSING)

    def ref(self, name: str) -> Any:
        pseudo = self._pseudo(name)
        if pseudo is not _MISSING:
            return pseudo
        if name in self.parameters:
            return self.parameters[name]
        resource = self.resources.get(name)
        if resource is None:
            raise TemplateError(f"!Ref to unknown {name}")
        kind = resource["Type"]
        if kind == "AWS::SQS::Queue":
            if name not in self.queue_urls:
                raise TemplateError(f"queue {name} must be created before its URL is used")
            return self.queue_urls[name]
        if kind == "AWS::SNS::Topic":
            return self.arn(name)
        if kind in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
            return self.arn(name)
        if kind in _NAME_PROPERTIES:
            return self.physical_name(name)
        # Resources that only exist in AWS (API id, distribution id, server id …).
        return f"local-{name}"

    def arn(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name = self.physical_name(logical_id)
        region, account = self.region, self.account_id
        if kind == "AWS::DynamoDB::Table":
            return f"arn:aws:dynamodb:{region}:{account}:table/{name}"
        if kind == "AWS::S3::Bucket":
            return f"arn:aws:s3:::{name}"
        if kind == "AWS::SQS::Queue":
            return f"arn:aws:sqs:{region}:{account}:{name}"
        if kind == "AWS::SNS::Topic":
            return f"arn:aws:sns:{region}:{account}:{name}"
        if kind in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            return f"arn:aws:lambda:{region}:{account}:function:{name}"
        if kind in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
            return f"arn:aws:states:{region}:{account}:stateMachine:{name}"
        if kind == "AWS::Logs::LogGroup":
            return f"arn:aws:logs:{region}:{account}:log-group:{name}:*"
        if kind == "AWS::IAM::Role":
            return f"arn:aws:iam::{account}:role/{name}"
        return f"arn:aws:local:{region}:{account}:{logical_id}"

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if logical_id not in self.resources:
            raise TemplateError(f"!GetAtt on unknown {logical_id}")
        kind = self.resources[logical_id]["Type"]
        name = self.physical_name(logical_id)
        if attribute == "Arn":
            return self.arn(logical_id)
        if attribute in ("QueueName", "TopicName", "Name"):
            return name
        if attribute == "QueueUrl":
            return self.ref(logical_id)
        if kind == "AWS::S3::Bucket" and attribute in ("DomainName", "RegionalDomainName"):
            return f"{name}.s3.{self.region}.amazonaws.com"
        # Attributes of resources that do not exist locally: a stable placeholder.
        return f"local-{logical_id}-{attribute}".lower()

    # -------------------------------------------------------------- resolve

    def resolve(self, value: Any) -> Any:
        """Resolve every intrinsic in ``value`` (``AWS::NoValue`` entries are dropped)."""
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            handler = _INTRINSICS.get(key)
            if handler is not None:
                return handler(self, arg)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not _NO_VALUE}

    def sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, variables = arg[0], {k: self.resolve(v) for k, v in arg[1].items()}
        else:
            text, variables = arg, {}

        def replace(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("!"):
                return "${" + expression[1:] + "}"  # ${!Literal}
            if expression in variables:
                return str(variables[expression])
            if "." in expression:
                logical_id, attribute = expression.split(".", 1)
                return str(self.get_att(logical_id, attribute))
            return str(self.ref(expression))

        return re.sub(r"\$\{([^}]+)\}", replace, text)


class _Sentinel:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_NO_VALUE = _Sentinel("AWS::NoValue")
_MISSING = _Sentinel("missing")


def _fn_if(stack: Stack, arg: list[Any]) -> Any:
    name, when_true, when_false = arg
    return stack.resolve(when_true if stack.condition(name) else when_false)


def _fn_join(stack: Stack, arg: list[Any]) -> str:
    separator, items = arg
    return str(separator).join(str(v) for v in stack.resolve(items))


def _fn_select(stack: Stack, arg: list[Any]) -> Any:
    index, items = arg
    return stack.resolve(items)[int(stack.resolve(index))]


def _fn_split(stack: Stack, arg: list[Any]) -> list[str]:
    separator, text = arg
    return str(stack.resolve(text)).split(separator)


def _fn_find_in_map(stack: Stack, arg: list[Any]) -> Any:
    map_name, top, second = (stack.resolve(v) for v in arg)
    return stack.template["Mappings"][map_name][top][second]


def _unsupported(name: str) -> Callable[[Stack, Any], Any]:
    def fail(stack: Stack, arg: Any) -> Any:
        raise TemplateError(f"{name} is not supported by the local platform")

    return fail


_INTRINSICS: dict[str, Callable[[Stack, Any], Any]] = {
    "Ref": lambda s, a: s.ref(a),
    "Fn::Sub": lambda s, a: s.sub(a),
    "Fn::GetAtt": lambda s, a: s.get_att(*(a.split(".", 1) if isinstance(a, str) else a)),
    "Fn::If": _fn_if,
    "Fn::Equals": lambda s, a: s.resolve(a[0]) == s.resolve(a[1]),
    "Fn::Not": lambda s, a: not s.resolve(a[0]),
    "Fn::And": lambda s, a: all(s.resolve(v) for v in a),
    "Fn::Or": lambda s, a: any(s.resolve(v) for v in a),
    "Condition": lambda s, a: s.condition(a),
    "Fn::Join": _fn_join,
    "Fn::Select": _fn_select,
    "Fn::Split": _fn_split,
    "Fn::FindInMap": _fn_find_in_map,
    "Fn::GetAZs": lambda s, a: [f"{s.region}a", f"{s.region}b", f"{s.region}c"],
    "Fn::ImportValue": _unsupported("Fn::ImportValue"),
    "Fn::Base64": _unsupported("Fn::Base64"),
    "Fn::Cidr": _unsupported("Fn::Cidr"),
}
