"""A stand-in for `terragrunt` (and for `tofu`/`terraform` on a plain root module), for tests only.

No Terragrunt, OpenTofu or Terraform binary can be installed on our build machines, so the executor's tests run this
instead. It keeps the real command-line contract and file formats the executor relies on:

- `terragrunt run [--working-dir DIR] [--non-interactive] [--no-color] [--tf-path tofu] -- <command> [args]`
  (and the `terragrunt plan ...` shortcut); `tofu [-chdir=DIR] <command> [args]` for a root module.
- `plan [-destroy] [-detailed-exitcode] [-out=FILE]`: exit 0 no changes, 2 changes present (with
  `-detailed-exitcode`), 1 error; a saved plan file; `show -json FILE` prints the plan's JSON representation
  (`format_version`, `resource_changes[].change.actions`, `output_changes`, `prior_state`, ...).
- `apply FILE` applies a saved plan (refused when the state changed since: "Saved plan is stale"), `apply` without a
  plan file is refused in non-interactive mode without `-auto-approve`; `output -json`; `destroy -auto-approve`.
- One state file per unit (format version 4, serial, lineage), kept outside the checkout like a remote backend:
  `$STANDIN_STATE_DIR/<unit path relative to the repo root>/terraform.tfstate`.
- `terragrunt stack generate` (see stackgen.py), and OpenTofu's flags per command (see tfflags.py): a flag the real
  tool does not define fails the same way.
- `dependency` blocks: outputs come from the dependency's state; a dependency never applied is an error unless
  `mock_outputs` exist and the command is in `mock_outputs_allowed_terraform_commands`, as in Terragrunt.

What a unit manages: `terraform_data.config` (its input is a hash of the unit's configuration: its terragrunt.hcl,
the .hcl files of the folders above it, the _envcommon files and data files it names; so editing env.hcl changes
every unit under it) and `terraform_data.source` (replaced when `terraform.source` changes). Outputs after apply:
`id`, plus every key a dependent unit lists in its `mock_outputs`, with a value derived from the unit.

Faults, for tests: env `STANDIN_FAULTS` = JSON {UNIT_PATH or "*": FAULT}, or a file `.standin-fault.json` in the unit,
FAULT = {"command": "plan"|"apply"|..., "mode": "fail"|"transient"|"hang"|"huge"|"nonutf8", "times": N,
"bytes": N, "term_seconds": N}. "transient" fails the first N times with a network error (the count is kept in the
state directory). "hang" holds the unit's state lock (`.terraform.tflock` in its state directory) for `seconds`;
on SIGTERM or SIGINT it takes `term_seconds` (default 0) to stop gracefully, then releases the lock and exits 1, as
OpenTofu does; a SIGKILL leaves the lock held.
"huge" on `show` makes the plan's JSON that many bytes. "script" runs the Python `code` inside the command, as
pull-request code (`run_cmd`, hooks, providers) runs inside a real plan.
`STANDIN_DELAY` (seconds) makes plan and apply take that long.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: its sibling modules

import stackgen
import tfflags

TOFU_VERSION = "1.8.5"
TG_VERSION = "1.1.3"
PROVIDER = 'provider["terraform.io/builtin/terraform"]'


class Fail(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def log(unit: str, msg: str, level: str = "INFO") -> None:
    stamp = time.strftime("%H:%M:%S", time.gmtime()) + f".{int(time.time() * 1000) % 1000:03d}"
    sys.stderr.write(f"{stamp} {level:<6} [{unit}] {msg}\n")


def repo_root(start: Path) -> Path:
    for d in (start, *start.parents):
        if (d / ".git").exists():
            return d
    return start


def state_dir() -> Path:
    return Path(os.environ.get("STANDIN_STATE_DIR") or Path.cwd() / ".standin-state")


# ---------------------------------------------------------------------------------------------------- configuration
if os.environ.get("STANDIN_SITE_PACKAGES"):  # run by a system Python (as another OS user): the test venv's packages
    sys.path.append(os.environ["STANDIN_SITE_PACKAGES"])


def parse_hcl(path: Path) -> dict[str, Any]:
    """python-hcl2 (an independent parser, not gwpipelines' own), cached by content like Terragrunt's own parse
    cache: importing the parser costs more than the rest of a run."""
    text = path.read_text()
    cached = state_dir() / ".hcl-cache" / (hashlib.sha256(text.encode()).hexdigest() + ".json")
    if cached.is_file():
        return dict(json.loads(cached.read_text()))
    import hcl2

    opts = hcl2.SerializationOptions(
        strip_string_quotes=True, explicit_blocks=False, with_comments=False, preserve_heredocs=False
    )
    try:
        data = dict(hcl2.loads(text, serialization_options=opts))
    except Exception as e:
        raise Fail(f"Error: {path}: failed to parse HCL: {e}") from None
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(cached)
    return data


class Unit:
    """One unit (Terragrunt) or root module (tofu): what it wants to exist, and what it depends on."""

    def __init__(self, directory: Path, terragrunt: bool) -> None:
        self.dir = directory.resolve()
        self.root = repo_root(self.dir)
        self.key = os.path.relpath(self.dir, self.root)
        self.terragrunt = terragrunt
        if terragrunt:
            cfg = self.dir / "terragrunt.hcl"
            if not cfg.is_file():
                raise Fail(f"Error: {cfg}: no such file or directory (is this a Terragrunt unit?)")
            self.text = cfg.read_text()
        else:
            tf_files = sorted(self.dir.glob("*.tf"))
            if not tf_files:
                raise Fail("Error: No configuration files\n\nApply requires configuration to be present.")
            self.text = "\n".join(p.read_text() for p in tf_files)

    @functools.cached_property
    def config(self) -> dict[str, Any]:
        return parse_hcl(self.dir / "terragrunt.hcl") if self.terragrunt else {}

    def inputs_hash(self) -> str:
        h = hashlib.sha256(self.text.encode())
        values = self.dir / stackgen.VALUES_FILE  # what `stack generate` wrote: the unit's values
        if self.terragrunt and values.is_file():
            h.update(values.read_bytes())
        if self.terragrunt:
            for d in [self.dir, *self.dir.parents]:
                for p in sorted(d.glob("*.hcl")) if d != self.dir else ():
                    h.update(p.read_bytes())
                for extra in ("tags.yml",):
                    if (d / extra).is_file():
                        h.update((d / extra).read_bytes())
                if d == self.root:
                    break
            for named in self.named_files():
                h.update(named.read_bytes())
        return h.hexdigest()

    def named_files(self) -> list[Path]:
        """_envcommon files and data files the unit (or its envcommon) names, the way a reader of it would."""
        found: list[Path] = []
        todo = [self.text]
        while todo:
            text = todo.pop()
            for rel in re.findall(r"(_envcommon/[\w.-]+\.hcl|data/[\w./-]+\.(?:json|ya?ml|tfvars))", text):
                p = self.root / rel
                if p.is_file() and p not in found:
                    found.append(p)
                    todo.append(p.read_text())
        return found

    def source(self) -> str:
        for text in [self.text, *(p.read_text() for p in self.named_files() if p.suffix == ".hcl")]:
            m = re.search(r'^\s*source\s*=\s*"([^"]+)"', text, re.MULTILINE)
            if m:
                return m.group(1)
        return "local"

    def dependencies(self) -> list[dict[str, Any]]:
        deps = []
        for block in self.config.get("dependency", []):
            for name, body in block.items():
                path = values_in(self.dir, body.get("config_path", ""))
                deps.append({"name": name, **body, "config_path": path})
        return deps

    def desired(self) -> dict[str, dict[str, Any]]:
        if not self.terragrunt:
            res = {}
            digest = self.inputs_hash()
            for rtype, rname in re.findall(r'^resource\s+"([\w-]+)"\s+"([\w-]+)"', self.text, re.MULTILINE):
                res[f"{rtype}.{rname}"] = {"input": digest[:16], "triggers_replace": None}
            return res
        return {
            "terraform_data.config": {"input": self.inputs_hash()[:16], "triggers_replace": None},
            "terraform_data.source": {"input": None, "triggers_replace": self.source()},
        }

    def outputs(self) -> dict[str, Any]:
        slug = self.key.replace("/", "-")
        digest = self.inputs_hash()[:8]
        out: dict[str, Any] = {"id": f"{slug}-{digest}"}
        if not self.terragrunt:
            for name in re.findall(r'^output\s+"([\w-]+)"', self.text, re.MULTILINE):
                out[name] = f"{name}-{digest}"
            return out
        for other in self.root.rglob("terragrunt.hcl"):
            if ".terragrunt-cache" in other.parts or other.parent == self.dir:
                continue
            text = other.read_text()
            if "dependency" not in text or self.dir.name not in text:
                continue
            for block in parse_hcl(other).get("dependency", []):
                for body in block.values():
                    target = (other.parent / values_in(other.parent, body.get("config_path", ""))).resolve()
                    if target == self.dir:
                        for k, mock in (body.get("mock_outputs") or {}).items():
                            out[k] = derived(mock, f"{slug}-{k}-{digest}")
        return out


def values_in(directory: Path, text: Any) -> str:
    """A config_path that names `values.NAME` (`values.x`, or "${values.x}" as python-hcl2 gives it), with the
    values `terragrunt stack generate` wrote beside the unit; any other text as it is."""
    text = str(text)
    if "values." not in text or not (directory / stackgen.VALUES_FILE).is_file():
        return text
    values = parse_hcl(directory / stackgen.VALUES_FILE)
    return re.sub(r"\$\{\s*values\.(\w+)\s*\}", lambda m: str(values.get(m.group(1), m.group(0))), text)


def derived(mock: Any, seed: str) -> Any:
    """A real-looking value of the same shape as a mock output."""
    tag = hashlib.sha256(seed.encode()).hexdigest()[:8]
    if isinstance(mock, bool):
        return mock
    if isinstance(mock, int | float):
        return mock
    if isinstance(mock, list):
        return [derived(m, f"{seed}{i}") for i, m in enumerate(mock)]
    if isinstance(mock, dict):
        return {k: derived(v, seed + k) for k, v in mock.items()}
    text = str(mock)
    return re.sub(r"mock|[0-9a-f]{8,}", tag, text, count=1) if text else tag


# ------------------------------------------------------------------------------------------------------------ state
def state_path(unit: Unit) -> Path:
    return state_dir() / unit.key / "terraform.tfstate"


def read_state(unit: Unit) -> dict[str, Any]:
    p = state_path(unit)
    if p.is_file():
        return dict(json.loads(p.read_text()))
    return {
        "version": 4,
        "terraform_version": TOFU_VERSION,
        "serial": 0,
        "lineage": str(uuid.uuid5(uuid.NAMESPACE_URL, unit.key)),
        "outputs": {},
        "resources": [],
    }


def write_state(unit: Unit, state: dict[str, Any]) -> None:
    p = state_path(unit)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2))
    tmp.replace(p)


def current(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{r['type']}.{r['name']}": r["instances"][0]["attributes"] for r in state.get("resources", [])}


def dependency_outputs(unit: Unit, command: str) -> dict[str, dict[str, Any]]:
    result = {}
    for dep in unit.dependencies():
        target = (unit.dir / str(dep.get("config_path", ""))).resolve()
        if not (target / "terragrunt.hcl").is_file():
            raise Fail(f'Error: {target}/terragrunt.hcl: no such file (dependency "{dep["name"]}" of {unit.key})')
        dep_unit = Unit(target, True)
        state = read_state(dep_unit)
        outputs = {k: v["value"] for k, v in state.get("outputs", {}).items()}
        if not outputs:
            allowed = dep.get("mock_outputs_allowed_terraform_commands")
            if dep.get("mock_outputs") and (not allowed or command in allowed):
                log(unit.key, f"dependency {dep_unit.key} has no outputs yet: using mock_outputs", "WARN")
                outputs = dict(dep["mock_outputs"])
            else:
                raise Fail(
                    f"Error: {target}/terragrunt.hcl is a dependency of {unit.dir}/terragrunt.hcl but detected no "
                    "outputs. Either the target module has not been applied yet, or the module has no outputs. "
                    "If this is expected, set the skip_outputs flag to true on the dependency block."
                )
        result[dep["name"]] = outputs
    return result


# ------------------------------------------------------------------------------------------------------------ faults
def fault_for(unit: Unit, command: str) -> dict[str, Any] | None:
    faults: dict[str, Any] = json.loads(os.environ.get("STANDIN_FAULTS") or "{}")
    fault = faults.get(unit.key) or faults.get("*")
    local = unit.dir / ".standin-fault.json"
    if local.is_file():
        fault = json.loads(local.read_text())
    if fault and fault.get("command", command) == command:
        return dict(fault)
    return None


def apply_fault(unit: Unit, command: str) -> None:
    fault = fault_for(unit, command)
    if not fault:
        return
    mode = fault.get("mode", "fail")
    if mode == "fail":
        raise Fail(f"Error: creating terraform_data.config: operation error: {fault.get('message', 'AccessDenied')}")
    if mode == "transient":
        counter = state_dir() / unit.key / f".transient-{command}"
        counter.parent.mkdir(parents=True, exist_ok=True)
        seen = int(counter.read_text()) if counter.is_file() else 0
        counter.write_text(str(seen + 1))
        if seen < int(fault.get("times", 1)):
            raise Fail(
                "Error: Failed to install provider\n\nError while installing hashicorp/aws v5.82.2: could not query "
                "provider registry for registry.opentofu.org/hashicorp/aws: the request failed after 2 attempts, "
                'please try again later: Get "https://registry.opentofu.org/v1/providers/hashicorp/aws/5.82.2/'
                'download/linux/amd64": dial tcp: lookup registry.opentofu.org: i/o timeout'
            )
    elif mode == "hang":
        pid_file = state_dir() / unit.key / ".hang-pid"
        pid_file.parent.mkdir(parents=True, exist_ok=True)
        pid_file.write_text(str(os.getpid()))
        log(unit.key, "Acquiring state lock. This may take a few moments...")
        lock = state_dir() / unit.key / ".terraform.tflock"
        lock.write_text(json.dumps({"ID": str(uuid.uuid4()), "Operation": f"Operation{command.capitalize()}"}))
        stop_seconds = float(fault.get("term_seconds", 0))

        def graceful(signum: int, frame: object) -> None:
            # As OpenTofu: finish the in-flight operation (term_seconds), write state, release the lock, exit 1.
            log(unit.key, "Interrupt received. Gracefully shutting down...", "WARN")
            time.sleep(stop_seconds)
            lock.unlink(missing_ok=True)
            log(unit.key, "Releasing state lock. This may take a few moments...")
            os._exit(1)

        signal.signal(signal.SIGTERM, graceful)
        signal.signal(signal.SIGINT, graceful)
        time.sleep(float(fault.get("seconds", 3600)))
        lock.unlink(missing_ok=True)
    elif mode == "huge":
        size = int(fault.get("bytes", 5_000_000))
        line = "terraform_data.config: Still creating... [10s elapsed] " + "x" * 60 + "\n"
        sys.stderr.write(line * (size // len(line) + 1))
    elif mode == "script":  # pull-request code run during the command (a `run_cmd`, a hook, a provider)
        exec(compile(str(fault["code"]), "<plan code>", "exec"), {"__name__": "plan_code"})
    elif mode == "nonutf8":
        sys.stderr.flush()
        os.write(2, b"provider said: \xff\xfe\xc3\x28 caf\xe9 \x1b[31mred\x1b[0m\n")


# ------------------------------------------------------------------------------------------------------------ commands
def plan_changes(unit: Unit, state: dict[str, Any], destroy: bool) -> list[dict[str, Any]]:
    have = current(state)
    want = {} if destroy else unit.desired()
    changes = []
    for address in sorted(set(have) | set(want)):
        before, after = have.get(address), want.get(address)
        if before is None:
            actions = ["create"]
        elif after is None:
            actions = ["delete"]
        elif before.get("triggers_replace") != after.get("triggers_replace"):
            actions = ["delete", "create"]
        elif before.get("input") != after.get("input"):
            actions = ["update"]
        else:
            actions = ["no-op"]
        rtype, rname = address.split(".", 1)
        change = {
            "actions": actions,
            "before": before,
            "after": after,
            "after_unknown": {"id": after is not None} if "create" in actions else {},
            "before_sensitive": False,
            "after_sensitive": False,
        }
        rc = {
            "address": address,
            "mode": "managed",
            "type": rtype,
            "name": rname,
            "provider_name": "terraform.io/builtin/terraform",
            "change": change,
        }
        if actions == ["delete", "create"]:
            rc["action_reason"] = "replace_because_cannot_update"
            change["replace_paths"] = [["triggers_replace"]]
        changes.append(rc)
    return changes


def human_plan(unit: Unit, changes: list[dict[str, Any]], prog: str) -> tuple[str, bool]:
    real = [c for c in changes if c["change"]["actions"] != ["no-op"]]
    tool = "OpenTofu" if prog != "terraform" else "Terraform"
    if not real:
        return (
            f"\nNo changes. Your infrastructure matches the configuration.\n\n{tool} has compared your real "
            "infrastructure against your configuration and found no differences, so no changes are needed.\n",
            False,
        )
    words = {"create": "will be created", "update": "will be updated in-place", "delete": "will be destroyed"}
    lines = [
        f"\n{tool} used the selected providers to generate the following execution",
        "plan. Resource actions are indicated with the following symbols:",
        "  + create",
        "  ~ update in-place",
        "  - destroy",
        "-/+ destroy and then create replacement",
        "",
        f"{tool} will perform the following actions:",
        "",
    ]
    counts = {"add": 0, "change": 0, "destroy": 0}
    for c in real:
        acts = c["change"]["actions"]
        if len(acts) == 2:
            lines.append(f"  # {c['address']} must be replaced")
            counts["add"] += 1
            counts["destroy"] += 1
        else:
            lines.append(f"  # {c['address']} {words[acts[0]]}")
            counts[{"create": "add", "update": "change", "delete": "destroy"}[acts[0]]] += 1
        sign = {"create": "+", "update": "~", "delete": "-"}.get(acts[0], "-/+") if len(acts) == 1 else "-/+"
        lines.append(f'  {sign} resource "{c["type"]}" "{c["name"]}" {{')
        lines.append("      + id = (known after apply)" if "create" in acts else f'        id = "{c["name"]}"')
        lines.append("    }\n")
    lines.append(f"Plan: {counts['add']} to add, {counts['change']} to change, {counts['destroy']} to destroy.\n")
    return "\n".join(lines), True


def cmd_plan(unit: Unit, args: list[str], prog: str) -> int:
    destroy = "-destroy" in args
    detailed = "-detailed-exitcode" in args
    out = next((a.split("=", 1)[1] for a in args if a.startswith("-out=")), None)
    state = read_state(unit)
    deps = dependency_outputs(unit, "plan") if unit.terragrunt else {}
    apply_fault(unit, "plan")
    delay()
    log(unit.key, f"{prog_name(prog)}: Refreshing state... [serial={state['serial']}]")
    changes = plan_changes(unit, state, destroy)
    text, changed = human_plan(unit, changes, prog)
    sys.stdout.write(text)
    if out:
        plan = {
            "format_version": "1.2",
            "terraform_version": TOFU_VERSION,
            "destroy": destroy,
            "serial": state["serial"],
            "lineage": state["lineage"],
            "changes": changes,
            "outputs": {} if destroy else unit.outputs(),
            "dependencies": deps,
        }
        plan_path(unit, out).parent.mkdir(parents=True, exist_ok=True)
        plan_path(unit, out).write_text(json.dumps(plan))
        sys.stdout.write(
            f"\nSaved the plan to: {out}\n\nTo perform exactly these actions, run the following command "
            f'to apply:\n    {prog_name(prog)} apply "{out}"\n'
        )
    return 2 if (detailed and changed) else 0


def plan_path(unit: Unit, name: str) -> Path:
    # Terragrunt runs tofu in its cache directory; a relative -out lands there.
    base = unit.dir / ".terragrunt-cache" / "standin" if unit.terragrunt else unit.dir
    return base / name


def read_plan(unit: Unit, name: str) -> dict[str, Any]:
    p = plan_path(unit, name)
    if not p.is_file():
        raise Fail(f'Error: Failed to load "{name}" as a plan file\n\nError: stat {name}: no such file or directory')
    return dict(json.loads(p.read_text()))


def cmd_show(unit: Unit, args: list[str]) -> int:
    files = [a for a in args if not a.startswith("-")]
    if "-json" not in args or not files:
        raise Fail("Error: the stand-in supports only `show -json PLANFILE`")
    plan = read_plan(unit, files[0])
    state = read_state(unit)
    rep = {
        "format_version": plan["format_version"],
        "terraform_version": plan["terraform_version"],
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": c["address"],
                        "mode": "managed",
                        "type": c["type"],
                        "name": c["name"],
                        "values": c["change"]["after"],
                    }
                    for c in plan["changes"]
                    if c["change"]["after"] is not None
                ]
            }
        },
        "resource_changes": plan["changes"],
        "output_changes": {
            k: {"actions": ["create"], "before": None, "after": v, "after_unknown": False}
            for k, v in plan["outputs"].items()
        },
        "prior_state": {
            "format_version": "1.0",
            "terraform_version": TOFU_VERSION,
            "values": {"root_module": {"resources": state.get("resources", [])}},
        },
        "configuration": {"root_module": {}},
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "errored": False,
        "applyable": any(c["change"]["actions"] != ["no-op"] for c in plan["changes"]),
        "complete": True,
    }
    fault = fault_for(unit, "show")
    if fault and fault.get("mode") == "huge":  # a big configuration (many modules, long policies): plan JSON of N bytes
        rep["configuration"] = {"root_module": {"description": "x" * int(fault.get("bytes", 9_000_000))}}
    sys.stdout.write(json.dumps(rep) + "\n")
    return 0


def cmd_apply(unit: Unit, args: list[str], prog: str, interactive: bool) -> int:
    files = [a for a in args if not a.startswith("-")]
    if not files:
        if "-auto-approve" not in args and not interactive:
            raise Fail(
                "Error: No value for required variable\n\nApply requires approval: pass -auto-approve "
                "or a saved plan file in non-interactive mode"
            )
        cmd_plan(unit, ["-out=.standin-auto.tfplan"], prog)
        files = [".standin-auto.tfplan"]
    plan = read_plan(unit, files[0])
    state = read_state(unit)
    if plan["serial"] != state["serial"] or plan["lineage"] != state["lineage"]:
        raise Fail(
            "Error: Saved plan is stale\n\nThe given plan file can no longer be applied because the state "
            "was changed by another operation after the plan was created."
        )
    deps = dependency_outputs(unit, "apply") if unit.terragrunt else {}
    del deps  # read for their errors: a dependency destroyed since the plan fails the apply, as in Terragrunt
    apply_fault(unit, "apply")
    delay()
    counts = {"added": 0, "changed": 0, "destroyed": 0}
    resources = {f"{r['type']}.{r['name']}": r for r in state.get("resources", [])}
    for c in plan["changes"]:
        acts, address = c["change"]["actions"], c["address"]
        if acts == ["no-op"]:
            continue
        if "delete" in acts:
            sys.stdout.write(f"{address}: Destroying... [id={c['name']}]\n{address}: Destruction complete after 0s\n")
            resources.pop(address, None)
            counts["destroyed"] += 1
        if "create" in acts or acts == ["update"]:
            verb = "Modifying" if acts == ["update"] else "Creating"
            attrs = {**c["change"]["after"], "id": hashlib.sha256(f"{unit.key}{address}".encode()).hexdigest()[:36]}
            resources[address] = {
                "mode": "managed",
                "type": c["type"],
                "name": c["name"],
                "provider": PROVIDER,
                "instances": [{"schema_version": 0, "attributes": attrs}],
            }
            sys.stdout.write(
                f"{address}: {verb}...\n{address}: {'Modifications' if verb == 'Modifying' else 'Creation'}"
                f" complete after 0s [id={attrs['id']}]\n"
            )
            counts["changed" if acts == ["update"] else "added"] += 1
    state["resources"] = [resources[k] for k in sorted(resources)]
    state["outputs"] = (
        {} if plan["destroy"] else {k: {"value": v, "type": type_of(v)} for k, v in plan["outputs"].items()}
    )
    state["serial"] += 1
    write_state(unit, state)
    word = "Destroy" if plan["destroy"] else "Apply"
    sys.stdout.write(
        f"\n{word} complete! Resources: {counts['added']} added, {counts['changed']} changed, "
        f"{counts['destroyed']} destroyed.\n"
    )
    return 0


def type_of(v: Any) -> Any:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int | float):
        return "number"
    if isinstance(v, list):
        return ["tuple", [type_of(x) for x in v]]
    if isinstance(v, dict):
        return ["object", {k: type_of(x) for k, x in v.items()}]
    return "string"


def cmd_output(unit: Unit, args: list[str]) -> int:
    state = read_state(unit)
    outputs = {k: {"sensitive": False, **v} for k, v in state.get("outputs", {}).items()}
    if "-json" in args:
        sys.stdout.write(json.dumps(outputs, indent=2) + "\n")
    else:
        for k, v in outputs.items():
            sys.stdout.write(f"{k} = {json.dumps(v['value'])}\n")
    return 0


def delay() -> None:
    seconds = float(os.environ.get("STANDIN_DELAY") or 0)
    if seconds:
        time.sleep(seconds)


def prog_name(prog: str) -> str:
    return "terraform" if prog == "terraform" else "tofu"


def run_tf(directory: Path, tf_args: list[str], prog: str, terragrunt: bool, interactive: bool) -> int:
    if not tf_args:
        raise Fail("Error: no command given", 127)
    command, args = tf_args[0], tf_args[1:]
    if command == "version":
        sys.stdout.write(f"OpenTofu v{TOFU_VERSION}\non linux_amd64\n")
        return 0
    try:
        tfflags.check(command, args)
    except tfflags.FlagError as e:
        raise Fail(f"Error: Failed to parse command-line flags\n\n{e}") from None
    if not directory.is_dir():
        raise Fail(f"Error: {directory}: no such directory")
    unit = Unit(directory, terragrunt)
    if terragrunt:
        log(unit.key, f"Downloading Terraform configurations from {unit.source()} into .terragrunt-cache")
    if command == "init":
        sys.stdout.write("\nOpenTofu has been successfully initialized!\n")
        return 0
    if command == "plan":
        return cmd_plan(unit, args, prog)
    if command == "show":
        return cmd_show(unit, args)
    if command == "apply":
        return cmd_apply(unit, args, prog, interactive)
    if command == "destroy":
        if "-auto-approve" not in args and not interactive:
            raise Fail("Error: destroy requires -auto-approve in non-interactive mode")
        return cmd_apply(unit, cmd_destroy_plan(unit, prog), prog, interactive)
    if command == "output":
        return cmd_output(unit, args)
    raise Fail(f'Error: the stand-in does not implement "{command}"', 1)


def cmd_destroy_plan(unit: Unit, prog: str) -> list[str]:
    saved = sys.stdout
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the destroy's own plan is not printed twice
    try:
        cmd_plan(unit, ["-destroy", "-out=.standin-destroy.tfplan"], prog)
    finally:
        sys.stdout.close()
        sys.stdout = saved
    return [".standin-destroy.tfplan"]


def main_terragrunt(argv: list[str]) -> int:
    if argv[:1] in (["--version"], ["-v"]):
        sys.stdout.write(f"terragrunt version v{TG_VERSION}\n")
        return 0
    if argv[:2] == ["stack", "generate"]:
        return stack_generate(argv[2:])
    if argv[:1] == ["run"]:
        argv = argv[1:]
        if "--" not in argv:
            raise Fail("ERROR  the run command needs a tofu command after --")
        split = argv.index("--")
        flags, tf_args = argv[:split], argv[split + 1 :]
    else:  # the shortcut form: `terragrunt [flags] plan [args]`
        i = 0
        while i < len(argv) and argv[i].startswith("--"):
            i += 2 if argv[i] in ("--working-dir", "--tf-path", "--log-level") else 1
        flags, tf_args = argv[:i], argv[i:]
    working_dir, prog, interactive = Path.cwd(), "tofu", True
    i = 0
    while i < len(flags):
        flag = flags[i]
        if flag in ("--working-dir", "--tf-path", "--log-level"):
            if i + 1 >= len(flags):
                raise Fail(f"ERROR  flag needs an argument: {flag}")
            value = flags[i + 1]
            if flag == "--working-dir":
                working_dir = Path(value)
            elif flag == "--tf-path":
                prog = Path(value).name
                if prog not in ("tofu", "terraform"):
                    raise Fail(f'ERROR  exec: "{value}": executable file not found in $PATH')
            i += 2
            continue
        if flag == "--non-interactive":
            interactive = False
        elif flag not in ("--no-color",):
            raise Fail(f"ERROR  flag provided but not defined: {flag}")
        i += 1
    return run_tf(working_dir, tf_args, prog, True, interactive)


def stack_generate(flags: list[str]) -> int:
    """`terragrunt stack generate [--working-dir DIR] [--non-interactive] [--no-color] [--no-stack-validate]`."""
    working_dir = Path.cwd()
    i = 0
    while i < len(flags):
        flag = flags[i]
        if flag in ("--working-dir", "--log-level", "--parallelism"):
            if i + 1 >= len(flags):
                raise Fail(f"ERROR  flag needs an argument: {flag}")
            if flag == "--working-dir":
                working_dir = Path(flags[i + 1])
            i += 2
            continue
        if flag not in ("--non-interactive", "--no-color", "--no-stack-validate"):
            raise Fail(f"ERROR  flag provided but not defined: {flag}")
        i += 1
    if not working_dir.is_dir():
        raise Fail(f"ERROR  {working_dir}: no such directory")
    root = repo_root(working_dir.resolve())
    count = stackgen.generate(working_dir.resolve(), root, parse_hcl, Fail)
    log(os.path.relpath(working_dir.resolve(), root), f"Generated {count} units")
    return 0


def main_tofu(prog: str, argv: list[str]) -> int:
    directory = Path.cwd()
    while argv and argv[0].startswith("-chdir="):
        directory = Path(argv.pop(0).split("=", 1)[1])
    return run_tf(directory, argv, prog, False, False)


def main() -> int:
    prog, argv = sys.argv[1], sys.argv[2:]
    # The state folder is shared by plans (run as a separate OS user) and applies (run as the executor's): like a
    # remote backend, both may write it.
    os.umask(0)
    try:
        return main_terragrunt(argv) if prog == "terragrunt" else main_tofu(prog, argv)
    except Fail as e:
        sys.stderr.write(f"\n{e}\n")
        return e.code


if __name__ == "__main__":
    sys.exit(main())
