"""`pipelines.yml`, the pipelines repo's one configuration file, validated strictly and frozen.

    core:
      live_repo: acme/infrastructure-live
      default_branch: main
      execution_defaults: {max_attempts: 2, parallelism: 4, timeout_seconds: 3600, retry_delay_seconds: 10}
      steps: [terragrunt, policy]        # extension instances a unit job runs, in this order
      max_runners_per_wave: 4            # each account's jobs of a pipelines run on up to 4 runners (default 1)
    authentication:                      # gwpipelines.config.AuthenticationConfig; absent: no role assumed
      region: us-east-1
      accounts:
        non-prod: {account_id: "111122223333", plan_role: gwpipelines-plan, apply_role: gwpipelines-apply}
    terragrunt:                          # one section per extension: a list of named instances
      - name: terragrunt
        tf_path: tofu
    command:
      - name: policy
        argv: [conftest, test, plan.json]
        depends_on: [terragrunt]

A step name that is no configured instance but is an installed extension's name runs that extension with its
default settings, so the smallest file (or none, for local runs) runs Terragrunt. Jobs of the account actions run
the instances of the `account_factory` section (the `account-factory` extension). Unknown keys anywhere are refused
with their path; the schema (`gwpipelines config schema`) is built from the installed extensions' `Config` models.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

from gwpipelines import accounts, safe_yaml, unit_globs
from gwpipelines.errors import ParseError, UserError
from gwpipelines.extensions import loader
from gwpipelines.extensions.base import Extension, ExtensionConfig

ACCOUNT_FACTORY = "account-factory"
ACCOUNT_ACTIONS = frozenset({"account-plan", "account-create"})


class AccountRoles(BaseModel):
    """The two roles gwpipelines may assume in one account: a read-mostly plan role and the apply role."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    account_id: str = Field(description="12-digit AWS account id")
    plan_role: str = Field(description="role name (in this account) or full role ARN used for plans")
    apply_role: str = Field(description="role name (in this account) or full role ARN used for apply and destroy")

    @field_validator("account_id", mode="before")
    @classmethod
    def _account_id(cls, v: Any) -> str:
        return accounts.account_id(v)

    @field_validator("plan_role", "apply_role")
    @classmethod
    def _role(cls, v: str) -> str:
        if v.startswith("arn:"):
            if not _ROLE_ARN.fullmatch(v):
                raise ValueError("must be a role name or an ARN like arn:aws:iam::123456789012:role/NAME")
        elif not _ROLE_NAME.fullmatch(v):
            raise ValueError("must be an IAM role name (letters, digits and +=,.@_- with optional /path/)")
        return v

    def role_arn(self, role: str) -> str:
        """A role name is expanded in this account; an ARN is used as written (it may name another account)."""
        return role if role.startswith("arn:") else f"arn:aws:iam::{self.account_id}:role/{role.lstrip('/')}"


_ROLE_NAME = re.compile(r"(/[\w+=,.@-]+)*/?[\w+=,.@-]{1,64}", re.ASCII)
_ROLE_ARN = re.compile(r"arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}", re.ASCII)


class AuthenticationConfig(BaseModel):
    """The `authentication` section of `pipelines.yml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: str = Field(
        default="us-east-1",
        pattern=r"^[a-z]{2}(-[a-z]+)+-\d+$",
        description="AWS region for STS and the extensions' AWS_REGION / AWS_DEFAULT_REGION",
    )
    session_duration_seconds: int = Field(
        default=3600, ge=900, le=43200, description="STS session length; at most each role's MaxSessionDuration"
    )
    audience: str = Field(
        default="sts.amazonaws.com",
        min_length=1,
        description="`aud` of the GitHub OIDC token; a client id of the accounts' IAM OIDC provider",
    )
    accounts: dict[str, AccountRoles] = Field(
        default_factory=dict,
        description="account name (as in accounts.yml and in jobs' `account`) -> its plan and apply roles",
    )


class ExecutionDefaults(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_attempts: int = Field(default=2, ge=1, le=10, description="Attempts per step; only transient failures retry.")
    parallelism: int = Field(default=4, ge=1, le=256, description="Jobs run at the same time.")
    timeout_seconds: int = Field(default=3600, ge=1, le=86400, description="Each tool command's time limit.")
    retry_delay_seconds: float = Field(default=10.0, ge=0, le=600, description="Wait before a retry (doubles).")
    stop_grace_seconds: float = Field(
        default=300.0,
        ge=0,
        le=3600,
        description="Time a tool gets to stop after SIGTERM (timeout or cancel: OpenTofu releases its state lock) "
        "before SIGKILL.",
    )
    isolate_plans: bool = Field(
        default=True,
        description="Run the tools of plan runs (pull-request code) as a separate unprivileged OS user (root or "
        "sudo needed; otherwise a notice says they could not be).",
    )


class CoreConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    live_repo: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", description="OWNER/NAME of infrastructure-live."
    )
    default_branch: str = Field(default="main", pattern=r"^[A-Za-z0-9._/-]+$", description="Applies come from here.")
    execution_defaults: ExecutionDefaults = Field(default_factory=ExecutionDefaults)
    steps: tuple[str, ...] = Field(default=("terragrunt",), min_length=1, description="Instances a unit job runs.")
    validate_dependencies_on_delete: bool = Field(
        default=True,
        description="Refuse to destroy (or plan the destroy of) a unit that another unit still names in a "
        "dependency/dependencies block.",
    )
    max_runners_per_wave: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Runners one account's jobs of a pipelines run are split across (issue 16): plans balanced by "
        "each unit's last known duration (by count when none is known), applies and destroys by a stable hash of "
        "the unit, so one unit always lands in the same runner and concurrency group; jobs joined by `needs` stay "
        "on one runner. 1: one runner per account.",
    )


# Each glob checked on its own, so an error names its index (drift.paths.1).
_Glob = Annotated[str, AfterValidator(unit_globs.check_glob)]


class DriftConfig(BaseModel):
    """The `drift` section: which units the scheduled drift plan covers (issue 17): the units a drift run plans."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schedule: str = Field(
        default="17 6 * * 1-5",
        description="cron (5 fields, UTC) of the live repo's drift workflow; `gwpipelines init live` writes it",
    )
    paths: tuple[_Glob, ...] = Field(default=("**",), min_length=1, description="globs of unit paths to plan")
    ignore: tuple[_Glob, ...] = Field(default=(), description="globs of unit paths never planned for drift")
    max_units: int = Field(default=500, ge=1, le=100_000, description="refuse a drift run planning more units")

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, v: str) -> str:
        return unit_globs.check_cron(v)


class _Root(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    core: CoreConfig = Field(default_factory=CoreConfig)
    drift: DriftConfig = Field(default_factory=DriftConfig)


def section(extension: str) -> str:
    """The YAML section of an extension: `account-factory` -> `account_factory`."""
    return extension.replace("-", "_")


def model(extensions: Mapping[str, type[Extension]]) -> type[BaseModel]:
    """The pipelines.yml model for these installed extensions: one list-of-instances section per extension."""
    fields: dict[str, Any] = {"authentication": (AuthenticationConfig | None, None)}
    for name, cls in sorted(extensions.items()):
        instances: Any = tuple[cls.Config, ...]  # type: ignore[name-defined]  # a runtime type, built per extension
        fields[section(name)] = (instances, Field(default=(), description=f"'{name}' instances"))
    built: type[BaseModel] = create_model("PipelinesConfig", __base__=_Root, **fields)
    return built


@dataclass(frozen=True)
class Instance:
    """One configured extension instance: what the executor constructs for a job."""

    extension: str
    cls: type[Extension]
    config: ExtensionConfig

    @property
    def name(self) -> str:
        return self.config.name


@dataclass(frozen=True)
class PipelineConfig:
    core: CoreConfig
    authentication: AuthenticationConfig | None
    instances: tuple[Instance, ...]
    drift: DriftConfig = field(default_factory=DriftConfig)

    def steps_for(self, action: str) -> tuple[Instance, ...]:
        """The instances a job of `action` runs, in order: account jobs go to the account factory, unit jobs to
        `core.steps` (those whose extension supports the action and whose `actions` allow it)."""
        if action in ACCOUNT_ACTIONS:
            chosen = [i for i in self.instances if i.extension == ACCOUNT_FACTORY]
        else:
            by_name = {i.name: i for i in self.instances}
            chosen = [by_name[s] for s in self.core.steps]
        return tuple(
            i for i in chosen if action in i.cls.actions and (not i.config.actions or action in i.config.actions)
        )


def installed() -> dict[str, type[Extension]]:
    found = loader.discovered()  # one entry-point scan, not one more per extension loaded
    return {name: loader.load(name, found.values()) for name in sorted(found)}


def load(path: Path | None, extensions: Mapping[str, type[Extension]] | None = None) -> PipelineConfig:
    """Read and validate pipelines.yml (defaults when `path` is None); errors name the file, line and key."""
    exts = installed() if extensions is None else dict(extensions)
    where = str(path) if path else "pipelines.yml"
    data: Any = {}
    node: yaml.Node | None = None
    if path is not None:
        try:
            text = path.read_text()
        except OSError as e:
            raise UserError(f"{path}: cannot read the config: {e.strerror}") from None
        safe_yaml.check(text, where)
        loader = yaml.SafeLoader(text)  # one parse: the nodes (for error lines) and the data built from them
        try:
            node = loader.get_single_node()
            data = (loader.construct_document(node) if node is not None else None) or {}
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            line = mark.line + 1 if mark else None
            raise ParseError(where, line, f"not valid YAML: {getattr(e, 'problem', e)}") from None
        finally:
            loader.dispose()
        if not isinstance(data, dict):
            raise ParseError(where, 1, "must be a mapping with a `core` section")
    try:
        parsed = model(exts).model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc) or "(top level)"
        msg = "unknown key; remove it or check its spelling" if err["type"] == "extra_forbidden" else err["msg"]
        if err["type"] == "extra_forbidden" and len(loc) == 1:
            msg += f" (sections: core, authentication, drift, {', '.join(section(n) for n in sorted(exts))})"
        raise ParseError(where, _line(node, loc), f"{key}: {msg}") from None
    return _resolve(parsed, exts, where)


def _resolve(parsed: BaseModel, exts: Mapping[str, type[Extension]], where: str) -> PipelineConfig:
    core: CoreConfig = getattr(parsed, "core")  # noqa: B009 - a dynamic model's field
    defaults = core.execution_defaults
    instances: list[Instance] = []
    seen: dict[str, str] = {}
    for name, cls in sorted(exts.items()):
        for cfg in getattr(parsed, section(name)):
            if cfg.name in seen:
                raise UserError(f"{where}: instance name '{cfg.name}' is used twice; rename one")
            seen[cfg.name] = name
            instances.append(Instance(name, cls, _with_defaults(cfg, defaults)))
    # Steps naming an extension rather than an instance, and the account factory, run with default settings.
    wanted = [*core.steps, ACCOUNT_FACTORY] if ACCOUNT_FACTORY in exts else list(core.steps)
    for step in wanted:
        if step in seen or (step == ACCOUNT_FACTORY and any(i.extension == step for i in instances)):
            continue
        if step not in exts:
            raise UserError(
                f"{where}: core.steps: '{step}' is neither a configured instance nor an installed extension "
                f"(instances: {', '.join(sorted(seen)) or 'none'}; extensions: {', '.join(sorted(exts))})"
            )
        cls = exts[step]
        instances.append(Instance(step, cls, _with_defaults(cls.Config(name=step), defaults)))
        seen[step] = step
    names = {i.name for i in instances}
    for inst in instances:
        for dep in inst.config.depends_on:
            if dep not in names:
                raise UserError(f"{where}: {section(inst.extension)}.{inst.name}.depends_on: no instance '{dep}'")
    authentication: AuthenticationConfig | None = getattr(parsed, "authentication", None)
    drift: DriftConfig = getattr(parsed, "drift")  # noqa: B009 - a dynamic model's field
    return PipelineConfig(core, authentication, tuple(instances), drift)


def _with_defaults(cfg: ExtensionConfig, defaults: ExecutionDefaults) -> ExtensionConfig:
    """An instance's own setting wins; 0 means "the core's execution default"."""
    return cfg.model_copy(
        update={
            "max_attempts": cfg.max_attempts or defaults.max_attempts,
            "timeout_seconds": cfg.timeout_seconds or defaults.timeout_seconds,
        }
    )


def schema(extensions: Mapping[str, type[Extension]] | None = None) -> dict[str, Any]:
    exts = installed() if extensions is None else dict(extensions)
    result: dict[str, Any] = model(exts).model_json_schema()
    result["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    result["title"] = "gwpipelines pipelines.yml"
    return result


def _line(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest YAML node on the error's path (the key itself for an unknown key)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if match is None:
                return line
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line
