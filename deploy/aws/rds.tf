# PostgreSQL 16 on RDS: Multi-AZ (a standby in the other zone takes over in a minute or two),
# encrypted, private, protected from deletion, with backups for point-in-time recovery.

resource "aws_db_subnet_group" "main" {
  name       = local.prefix
  subnet_ids = aws_subnet.private[*].id
}

resource "aws_db_parameter_group" "main" {
  # A prefix, not a name: a replacement is created before the old group is let go.
  name_prefix = "${local.prefix}-postgres16-"
  family      = "postgres16"

  # TLS only: DATABASE_URL says sslmode=require and the server verifies the RDS certificate.
  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
  # Slow statements and schema changes in the log (exported to CloudWatch below).
  parameter {
    name  = "log_min_duration_statement"
    value = "500"
  }
  parameter {
    name  = "log_statement"
    value = "ddl"
  }
  parameter {
    name  = "log_lock_waits"
    value = "1"
  }
  # The server's acknowledged writes promise durability; it warns at start when these are off.
  parameter {
    name  = "synchronous_commit"
    value = "on"
  }
  parameter {
    name         = "shared_preload_libraries"
    value        = "pg_stat_statements"
    apply_method = "pending-reboot"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_iam_role" "rds_monitoring" {
  name = "${local.prefix}-rds-monitoring"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "monitoring.rds.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "rds_monitoring" {
  role       = aws_iam_role.rds_monitoring.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_db_instance" "main" {
  identifier     = local.prefix
  engine         = "postgres"
  engine_version = "16"
  instance_class = var.db_instance_class
  # Minor versions (security fixes) are applied in the maintenance window.
  auto_minor_version_upgrade = true

  allocated_storage     = var.db_allocated_storage
  max_allocated_storage = var.db_max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.main.arn

  multi_az               = true
  db_subnet_group_name   = aws_db_subnet_group.main.name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.main.name
  ca_cert_identifier     = "rds-ca-rsa2048-g1"

  # The master user is for the bootstrap task only (ecs.tf); RDS keeps and rotates its password
  # in Secrets Manager. The server connects as crm_app (secrets.tf).
  username                      = var.db_master_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = aws_kms_key.main.arn
  # IAM tokens for people (psql through a bastion) instead of shared passwords.
  iam_database_authentication_enabled = true

  backup_retention_period  = var.db_backup_retention_days
  backup_window            = "02:00-03:00"
  maintenance_window       = "sun:03:30-sun:04:30"
  copy_tags_to_snapshot    = true
  delete_automated_backups = false
  deletion_protection      = var.deletion_protection
  skip_final_snapshot      = false
  final_snapshot_identifier = "${local.prefix}-final"

  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.main.arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.rds_monitoring.arn
  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]

  # Changes wait for the maintenance window unless applied by hand.
  apply_immediately = false

  depends_on = [aws_iam_role_policy_attachment.rds_monitoring]
}
