# What a deploy needs after `terraform apply`: the address, and the exact commands of the
# one-off tasks (README.md).

locals {
  run_task_network = "awsvpcConfiguration={subnets=[${join(",", aws_subnet.private[*].id)}],securityGroups=[${aws_security_group.app.id}],assignPublicIp=DISABLED}"
}

output "url" {
  description = "The server's public address."
  value       = "https://${var.domain_name}"
}

output "alb_dns_name" {
  description = "The load balancer's own DNS name (the domain is an alias of it)."
  value       = aws_lb.main.dns_name
}

output "cluster_name" {
  description = "ECS cluster."
  value       = aws_ecs_cluster.main.name
}

output "service_name" {
  description = "ECS service of the server."
  value       = aws_ecs_service.app.name
}

output "log_group" {
  description = "CloudWatch log group of the server and the one-off tasks (stream prefixes serve/, migrate/, db-bootstrap/)."
  value       = aws_cloudwatch_log_group.app.name
}

output "migrate_task_definition" {
  description = "Task definition (latest revision) of `crm migrate`."
  value       = aws_ecs_task_definition.migrate.arn
}

output "migrate_command" {
  description = "Runs `crm migrate` once, with the image of the current migrate task definition."
  value       = "aws ecs run-task --region ${var.region} --cluster ${aws_ecs_cluster.main.name} --launch-type FARGATE --task-definition ${aws_ecs_task_definition.migrate.family} --network-configuration '${local.run_task_network}'"
}

output "db_bootstrap_command" {
  description = "Runs the database bootstrap (role crm_app and database crm) once."
  value       = "aws ecs run-task --region ${var.region} --cluster ${aws_ecs_cluster.main.name} --launch-type FARGATE --task-definition ${aws_ecs_task_definition.db_bootstrap.family} --network-configuration '${local.run_task_network}'"
}

output "db_endpoint" {
  description = "PostgreSQL host name (private)."
  value       = aws_db_instance.main.address
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify; subscribe the on-call tool to it."
  value       = aws_sns_topic.alarms.arn
}
