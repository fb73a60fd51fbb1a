"""Parses every Terraform file of a folder with python-hcl2 and checks what the deployment relies
on: the resources deploy/aws/README.md promises, and that every var., local., data. and resource
reference names something declared (what `terraform validate` would catch first, without the
providers it needs to download). One line per problem; exit status 1 if there is any.

    python check_terraform.py deploy/aws
"""

import re
import sys
from pathlib import Path

import hcl2


def unquote(value):
    """python-hcl2 keeps the quotes of string literals and labels: "\"DNS\"" is "DNS"."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


class Config:
    """The blocks of all files of a folder, by kind: resources[type][name] = body, etc."""

    def __init__(self, folder):
        self.files = sorted(Path(folder).glob("*.tf"))
        self.resources, self.data = {}, {}
        self.variables, self.locals, self.outputs = set(), set(), set()
        self.errors = []
        for path in self.files:
            try:
                with path.open() as handle:
                    parsed = hcl2.load(handle)
            except Exception as error:  # any parse error is a finding, with its file
                self.errors.append(f"{path}: does not parse: {error}")
                continue
            for kind, store in (("resource", self.resources), ("data", self.data)):
                for block in parsed.get(kind, []):
                    for rtype, named in block.items():
                        for name, body in named.items():
                            store.setdefault(unquote(rtype), {})[unquote(name)] = body
            for block in parsed.get("variable", []):
                self.variables.update(unquote(name) for name in block)
            for block in parsed.get("locals", []):
                self.locals.update(key for key in block if not key.startswith("__"))
            for block in parsed.get("output", []):
                self.outputs.update(unquote(name) for name in block)

    def of_type(self, rtype):
        return self.resources.get(rtype, {})


def first(blocks):
    """A nested block is a list of one dict."""
    return blocks[0] if isinstance(blocks, list) and blocks else (blocks or {})


def check_resources(config):
    problems = []

    def require(condition, message):
        if not condition:
            problems.append(message)

    services = config.of_type("aws_ecs_service")
    require(services, "no aws_ecs_service")
    for name, body in services.items():
        require(first(body.get("load_balancer")), f"aws_ecs_service.{name}: no load_balancer")
        require(first(body.get("deployment_circuit_breaker")).get("rollback") is True,
                f"aws_ecs_service.{name}: no deployment circuit breaker with rollback")

    metrics = set()
    for body in config.of_type("aws_appautoscaling_policy").values():
        tracking = first(body.get("target_tracking_scaling_policy_configuration"))
        metrics.add(unquote(first(tracking.get("predefined_metric_specification")).get("predefined_metric_type")))
    for metric in ("ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"):
        require(metric in metrics, f"no aws_appautoscaling_policy tracking {metric}")
    require(config.of_type("aws_appautoscaling_target"), "no aws_appautoscaling_target")

    databases = config.of_type("aws_db_instance")
    require(databases, "no aws_db_instance")
    for name, body in databases.items():
        for setting in ("multi_az", "storage_encrypted", "performance_insights_enabled"):
            require(body.get(setting) is True, f"aws_db_instance.{name}: {setting} is not true")
        require(unquote(body.get("engine_version", "")).split(".")[0] == "16",
                f"aws_db_instance.{name}: engine_version is not 16")
        require(body.get("publicly_accessible") is False, f"aws_db_instance.{name}: publicly_accessible is not false")
        require(body.get("deletion_protection") not in (None, False), f"aws_db_instance.{name}: no deletion_protection")
        require((body.get("backup_retention_period") or 0) != 0, f"aws_db_instance.{name}: no backups")

    listeners = {body.get("port"): body for body in config.of_type("aws_lb_listener").values()}
    https = listeners.get(443, {})
    require(unquote(https.get("protocol")) == "HTTPS" and https.get("certificate_arn"),
            "no aws_lb_listener on 443 with HTTPS and a certificate")
    redirect = first(first(listeners.get(80, {}).get("default_action")).get("redirect"))
    require(unquote(redirect.get("protocol")) == "HTTPS", "no aws_lb_listener on 80 redirecting to HTTPS")
    require(config.of_type("aws_acm_certificate_validation"), "no aws_acm_certificate_validation (DNS)")

    paths = [unquote(first(body.get("health_check")).get("path")) for body in config.of_type("aws_lb_target_group").values()]
    require("/readyz" in paths, "no aws_lb_target_group health check on /readyz")

    # The server's per-IP limit sees only the ALB's addresses: the WAF limits per client instead.
    acls = config.of_type("aws_wafv2_web_acl").values()
    require(any("rate_based_statement" in str(body) for body in acls), "no aws_wafv2_web_acl with a rate-based rule")
    require(config.of_type("aws_wafv2_web_acl_association"), "no aws_wafv2_web_acl_association (ALB)")

    require(config.of_type("aws_secretsmanager_secret"), "no aws_secretsmanager_secret")
    require(config.of_type("aws_cloudwatch_metric_alarm"), "no aws_cloudwatch_metric_alarm")
    alarmed = {unquote(body.get("metric_name")) for body in config.of_type("aws_cloudwatch_metric_alarm").values()}
    for metric in ("HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count", "CPUUtilization", "FreeStorageSpace"):
        require(metric in alarmed, f"no aws_cloudwatch_metric_alarm on {metric}")

    # Container definitions are jsonencode(...) expressions: read as text.
    definitions = {name: str(body.get("container_definitions", "")) for name, body in config.of_type("aws_ecs_task_definition").items()}
    require(any(re.search(r'command\s*=\s*\["migrate"\]', text) for text in definitions.values()),
            "no aws_ecs_task_definition running `crm migrate`")
    require(any(re.search(r'command\s*=\s*\["serve"\]', text) for text in definitions.values()),
            "no aws_ecs_task_definition running `crm serve`")
    # The secrets list sits in a local shared by the server and the migration task.
    text = "\n".join(path.read_text() for path in config.files)
    for secret in ("DATABASE_URL", "JWT_SECRET", "JWT_REFRESH_SECRET"):
        require(re.search(rf'name\s*=\s*"{secret}",\s*valueFrom\s*=\s*aws_secretsmanager_secret\.', text),
                f"the task definitions take no {secret} from Secrets Manager")
    return problems


# `foo.bar` where foo is a resource type: aws_*, random_*.
RESOURCE_REFERENCE = re.compile(r"(?<![\w.\"/:-])((?:aws|random)_[a-z0-9_]+)\.([a-z0-9_]+)\b")
NAMED_REFERENCE = re.compile(r"(?<![\w.])(var|local|data)\.([a-z0-9_]+)(?:\.([a-z0-9_]+))?")


def check_references(config):
    problems = []
    for path in config.files:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.lstrip().startswith("#"):
                continue
            for kind, name, attribute in NAMED_REFERENCE.findall(line):
                missing = (
                    (kind == "var" and name not in config.variables)
                    or (kind == "local" and name not in config.locals)
                    or (kind == "data" and attribute not in config.data.get(name, {}))
                )
                if missing:
                    shown = f"{kind}.{name}" + (f".{attribute}" if kind == "data" else "")
                    problems.append(f"{path}:{number}: {shown} is not declared")
            for rtype, name in RESOURCE_REFERENCE.findall(line):
                if name not in config.resources.get(rtype, {}):
                    problems.append(f"{path}:{number}: {rtype}.{name} is not declared")
    return problems


def main(folder):
    config = Config(folder)
    if not config.files:
        print(f"no .tf files in {folder}")
        return 1
    problems = config.errors or check_resources(config) + check_references(config)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{len(config.files)} files, {sum(len(v) for v in config.resources.values())} resources: the required ones are declared and every reference resolves")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "deploy/aws"))
