# Inputs. domain_name, hosted_zone_name and image have no default and must be set, e.g. in a
# terraform.tfvars kept out of the repository (README.md).

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "crm"
}

variable "environment" {
  description = "Environment name (production, staging, …); part of every resource name."
  type        = string
  default     = "production"
}

variable "domain_name" {
  description = "Public host name of the server, e.g. crm.example.com. Gets the ACM certificate and an alias to the ALB."
  type        = string
}

variable "hosted_zone_name" {
  description = "Route 53 public hosted zone that holds domain_name, e.g. example.com."
  type        = string
}

variable "image" {
  description = "Container image of crm (the repository's Dockerfile), by digest or immutable tag, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/crm@sha256:…"
  type        = string
}

variable "cpu_architecture" {
  description = "Architecture the image was built for: X86_64 or ARM64."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "availability_zones" {
  description = "The two zones to use; empty: the region's zones a and b."
  type        = list(string)
  default     = []
}

variable "vpc_cidr" {
  description = "CIDR of the VPC; split into two public and two private /20 subnets."
  type        = string
  default     = "10.40.0.0/16"
}

variable "single_nat_gateway" {
  description = "One NAT gateway for both zones (cheaper; outbound traffic stops if its zone fails) instead of one per zone."
  type        = bool
  default     = false
}

variable "task_cpu" {
  description = "CPU units of one server task (1024 = 1 vCPU)."
  type        = number
  default     = 1024
}

variable "task_memory" {
  description = "Memory (MiB) of one server task."
  type        = number
  default     = 2048
}

variable "desired_count" {
  description = "Server tasks at creation. 0 on the very first apply, until the database is bootstrapped (README.md); autoscaling owns the count afterwards."
  type        = number
  default     = 2
}

variable "min_capacity" {
  description = "Fewest server tasks autoscaling keeps (2: one per zone)."
  type        = number
  default     = 2
}

variable "max_capacity" {
  description = "Most server tasks autoscaling starts. Each holds up to DATABASE_POOL_SIZE connections: keep max_capacity × pool under the database's max_connections."
  type        = number
  default     = 10
}

variable "cpu_target_percent" {
  description = "Average CPU of the service that autoscaling keeps."
  type        = number
  default     = 60
}

variable "requests_per_target" {
  description = "ALB requests per minute per task that autoscaling keeps."
  type        = number
  default     = 6000
}

variable "auth_requests_per_minute_per_ip" {
  description = "Requests per minute one client address may send to /api/v1/auth/* (the WAF's rate-based rule, waf.tf; it stands in for the server's RATE_LIMIT_AUTH behind the ALB)."
  type        = number
  default     = 20

  validation {
    condition     = var.auth_requests_per_minute_per_ip >= 10
    error_message = "WAF's rate-based rules take a limit of at least 10."
  }
}

variable "database_pool_size" {
  description = "DATABASE_POOL_SIZE of each server task."
  type        = number
  default     = 20
}

variable "extra_environment" {
  description = "More environment variables of the server (README's table: CORS_ORIGINS, RATE_LIMIT_API, LOG_LEVEL, …). Not for secrets."
  type        = map(string)
  default     = {}
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.m7g.large"
}

variable "db_allocated_storage" {
  description = "Initial storage of the database (GiB)."
  type        = number
  default     = 50
}

variable "db_max_allocated_storage" {
  description = "Storage autoscaling ceiling of the database (GiB)."
  type        = number
  default     = 500
}

variable "db_backup_retention_days" {
  description = "Days of automated backups (point-in-time recovery window)."
  type        = number
  default     = 14
}

variable "db_master_username" {
  description = "RDS master user; used only by the one-off bootstrap task. Its password is managed by RDS in Secrets Manager."
  type        = string
  default     = "crm_admin"
}

variable "postgres_client_image" {
  description = "Image with psql for the database bootstrap task (the official postgres image, from ECR Public)."
  type        = string
  default     = "public.ecr.aws/docker/library/postgres:16-bookworm"
}

variable "deletion_protection" {
  description = "Protect the database and the load balancer from deletion. Turn off only to destroy the environment."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the server's, the VPC's and the tasks' logs."
  type        = number
  default     = 365
}

variable "alarm_email" {
  description = "Address subscribed to the alarms' SNS topic; empty for none (subscribe something else to the topic)."
  type        = string
  default     = ""
}
