# The server's secrets in Secrets Manager, injected by ECS as environment variables (ecs.tf):
# DATABASE_URL, JWT_SECRET, JWT_REFRESH_SECRET; and the app role's database password, which the
# bootstrap task sets. Generated here, so they also live in the Terraform state (versions.tf).
# To rotate one: terraform apply -replace=random_password.<name>, then (for the database
# password) run the bootstrap task, then force a new deployment of the service (README.md).

resource "random_password" "app_db" {
  length = 40
  # Letters and digits only: the password sits inside DATABASE_URL without percent-encoding.
  special = false
}

resource "random_password" "jwt" {
  length  = 64
  special = false
}

resource "random_password" "jwt_refresh" {
  length  = 64
  special = false
}

resource "aws_secretsmanager_secret" "app_db_password" {
  name                    = "${local.prefix}/app-db-password"
  description             = "Password of the crm_app database role (set by the db-bootstrap task)"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "app_db_password" {
  secret_id     = aws_secretsmanager_secret.app_db_password.id
  secret_string = random_password.app_db.result
}

resource "aws_secretsmanager_secret" "database_url" {
  name                    = "${local.prefix}/database-url"
  description             = "DATABASE_URL of the crm server: role crm_app, database crm, TLS required"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "database_url" {
  secret_id     = aws_secretsmanager_secret.database_url.id
  secret_string = "postgres://crm_app:${random_password.app_db.result}@${aws_db_instance.main.address}:${aws_db_instance.main.port}/crm?sslmode=require"
}

resource "aws_secretsmanager_secret" "jwt_secret" {
  name                    = "${local.prefix}/jwt-secret"
  description             = "JWT_SECRET of the crm server (access tokens)"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "jwt_secret" {
  secret_id     = aws_secretsmanager_secret.jwt_secret.id
  secret_string = random_password.jwt.result
}

resource "aws_secretsmanager_secret" "jwt_refresh_secret" {
  name                    = "${local.prefix}/jwt-refresh-secret"
  description             = "JWT_REFRESH_SECRET of the crm server (refresh tokens)"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "jwt_refresh_secret" {
  secret_id     = aws_secretsmanager_secret.jwt_refresh_secret.id
  secret_string = random_password.jwt_refresh.result
}
