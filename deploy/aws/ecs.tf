# The servers: an ECS cluster on Fargate, the crm service behind the ALB in the private subnets,
# autoscaled on CPU and on requests per task; and two one-off task definitions run by hand
# (README.md): `crm migrate` before a deploy, and the database bootstrap before the first one.

resource "aws_ecs_cluster" "main" {
  name = local.prefix

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

# ---- roles ------------------------------------------------------------------------------------
# Only an execution role (pull the image, read the secrets, write logs). The tasks get no task
# role: the server calls no AWS API, so a compromised task holds no AWS credentials.

resource "aws_iam_role" "execution" {
  name = "${local.prefix}-ecs-execution"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_iam_role_policy" "execution_secrets" {
  name = "read-crm-secrets"
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Action = "secretsmanager:GetSecretValue"
        Resource = [
          aws_secretsmanager_secret.database_url.arn,
          aws_secretsmanager_secret.jwt_secret.arn,
          aws_secretsmanager_secret.jwt_refresh_secret.arn,
          aws_secretsmanager_secret.app_db_password.arn,
          aws_db_instance.main.master_user_secret[0].secret_arn,
        ]
      },
      {
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = aws_kms_key.main.arn
      },
    ]
  })
}

# ---- the server -------------------------------------------------------------------------------

locals {
  app_environment = merge({
    CRM_ENV            = "production"
    HOST               = "0.0.0.0"
    PORT               = "8080"
    PUBLIC_URL         = "https://${var.domain_name}"
    LOG_FORMAT         = "json"
    DATABASE_POOL_SIZE = tostring(var.database_pool_size)
    # Every client comes through the ALB's few addresses: a per-IP limit here would throttle them
    # all together. The WAF limits per client address instead (waf.tf).
    RATE_LIMIT_AUTH = "0"
  }, var.extra_environment)

  app_secrets = [
    { name = "DATABASE_URL", valueFrom = aws_secretsmanager_secret.database_url.arn },
    { name = "JWT_SECRET", valueFrom = aws_secretsmanager_secret.jwt_secret.arn },
    { name = "JWT_REFRESH_SECRET", valueFrom = aws_secretsmanager_secret.jwt_refresh_secret.arn },
  ]

  # What the server and the migration task share: image, settings, secrets, file system, logs.
  crm_container = {
    name                   = "crm"
    image                  = var.image
    essential              = true
    environment            = [for key in sort(keys(local.app_environment)) : { name = key, value = local.app_environment[key] }]
    secrets                = local.app_secrets
    # The server writes nothing to disk with DATABASE_URL and the secrets set (not even /tmp:
    # Tests/Deploy/podman-smoke.sh runs it that way).
    readonlyRootFilesystem = true
    user                   = "10001:10001"
  }

  runtime_platform = {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }
}

resource "aws_ecs_task_definition" "app" {
  family                   = local.prefix
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.execution.arn

  runtime_platform {
    operating_system_family = local.runtime_platform.operating_system_family
    cpu_architecture        = local.runtime_platform.cpu_architecture
  }

  container_definitions = jsonencode([merge(local.crm_container, {
    command      = ["serve"]
    portMappings = [{ containerPort = 8080, protocol = "tcp" }]
    # Liveness, not readiness: /readyz is 503 while PostgreSQL is away, and replacing every task
    # then would only add restarts to the outage. The ALB checks /readyz for routing.
    healthCheck = {
      command     = ["CMD", "/app/healthcheck", "/healthz"]
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = 60
    }
    # serve drains within SHUTDOWN_TIMEOUT_SECONDS (10 s) of SIGTERM; SIGKILL comes after this.
    stopTimeout = 30
    # One descriptor per client connection and per PostgreSQL connection.
    ulimits = [{ name = "nofile", softLimit = 65536, hardLimit = 65536 }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "serve"
      }
    }
  })])
}

resource "aws_ecs_service" "app" {
  name                              = local.prefix
  cluster                           = aws_ecs_cluster.main.id
  task_definition                   = aws_ecs_task_definition.app.arn
  desired_count                     = var.desired_count
  launch_type                       = "FARGATE"
  platform_version                  = "LATEST"
  propagate_tags                    = "SERVICE"
  enable_execute_command            = false
  health_check_grace_period_seconds = 120

  # Rolling deploy: new tasks join before old ones leave; a deploy whose tasks never get healthy
  # rolls back to the previous task definition by itself.
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.app.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.app.arn
    container_name   = "crm"
    container_port   = 8080
  }

  # Autoscaling owns the count once the service exists.
  lifecycle {
    ignore_changes = [desired_count]
  }

  depends_on = [aws_lb_listener.https, aws_iam_role_policy.execution_secrets]
}

# ---- autoscaling --------------------------------------------------------------------------------

resource "aws_appautoscaling_target" "app" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.main.name}/${aws_ecs_service.app.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  # 0 while the service is held at 0 (first apply, before the database is bootstrapped).
  min_capacity = var.desired_count == 0 ? 0 : var.min_capacity
  max_capacity = var.max_capacity
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "${local.prefix}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.app.service_namespace
  resource_id        = aws_appautoscaling_target.app.resource_id
  scalable_dimension = aws_appautoscaling_target.app.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_out_cooldown = 60
    scale_in_cooldown  = 300

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

# Requests per task: catches load that waits on PostgreSQL rather than burning CPU.
resource "aws_appautoscaling_policy" "requests" {
  name               = "${local.prefix}-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.app.service_namespace
  resource_id        = aws_appautoscaling_target.app.resource_id
  scalable_dimension = aws_appautoscaling_target.app.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.requests_per_target
    scale_out_cooldown = 60
    scale_in_cooldown  = 300

    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${aws_lb.main.arn_suffix}/${aws_lb_target_group.app.arn_suffix}"
    }
  }
}

# ---- one-off tasks ------------------------------------------------------------------------------

# `crm migrate`: applies pending migrations and exits. Run before a deploy (README.md), so a
# failing migration stops the deploy while the old tasks keep serving. `serve` would apply them
# too, at start, under an advisory lock.
resource "aws_ecs_task_definition" "migrate" {
  family                   = "${local.prefix}-migrate"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 512
  memory                   = 1024
  execution_role_arn       = aws_iam_role.execution.arn

  runtime_platform {
    operating_system_family = local.runtime_platform.operating_system_family
    cpu_architecture        = local.runtime_platform.cpu_architecture
  }

  container_definitions = jsonencode([merge(local.crm_container, {
    command = ["migrate"]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "migrate"
      }
    }
  })])
}

# Once, before the first deploy: creates the role crm connects as (neither superuser nor
# BYPASSRLS, which the server refuses) and its database, as RDS's master user. Run again after
# rotating the app's database password: it sets the new one.
locals {
  db_bootstrap_script = <<-EOT
    psql -v ON_ERROR_STOP=1 -v app_password="$APP_DB_PASSWORD" <<'SQL'
    SELECT format('CREATE ROLE crm_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', :'app_password')
      WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crm_app') \gexec
    SELECT format('ALTER ROLE crm_app PASSWORD %L', :'app_password') \gexec
    GRANT crm_app TO CURRENT_USER;
    SELECT 'CREATE DATABASE crm OWNER crm_app'
      WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'crm') \gexec
    REVOKE ALL ON DATABASE crm FROM PUBLIC;
    SQL
  EOT
}

resource "aws_ecs_task_definition" "db_bootstrap" {
  family                   = "${local.prefix}-db-bootstrap"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = aws_iam_role.execution.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([{
    name                   = "psql"
    image                  = var.postgres_client_image
    essential              = true
    user                   = "postgres"
    readonlyRootFilesystem = true
    command                = ["bash", "-euo", "pipefail", "-c", local.db_bootstrap_script]
    environment = [
      { name = "PGHOST", value = aws_db_instance.main.address },
      { name = "PGPORT", value = tostring(aws_db_instance.main.port) },
      { name = "PGUSER", value = var.db_master_username },
      { name = "PGDATABASE", value = "postgres" },
      { name = "PGSSLMODE", value = "require" },
    ]
    secrets = [
      { name = "PGPASSWORD", valueFrom = "${aws_db_instance.main.master_user_secret[0].secret_arn}:password::" },
      { name = "APP_DB_PASSWORD", valueFrom = aws_secretsmanager_secret.app_db_password.arn },
    ]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "db-bootstrap"
      }
    }
  }])
}
