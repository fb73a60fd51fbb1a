# Terraform and provider versions, the state backend and the provider's common tags.
terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # Partial configuration: bucket, key and region come from `terraform init -backend-config=…`
  # (README.md). The state holds the generated secrets, so its bucket must be encrypted and private.
  backend "s3" {}
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = var.name
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

# Two zones named outright: the ALB, the ECS service and RDS Multi-AZ each need two, and a list
# taken from whatever the region offers could shift (a zone added or impaired) and move subnets.
data "aws_availability_zones" "selected" {
  state = "available"

  filter {
    name   = "zone-name"
    values = length(var.availability_zones) > 0 ? var.availability_zones : ["${var.region}a", "${var.region}b"]
  }

  lifecycle {
    postcondition {
      condition     = length(self.names) == 2
      error_message = "availability_zones must name two available zones of the region."
    }
  }
}

locals {
  azs        = sort(data.aws_availability_zones.selected.names)
  prefix     = "${var.name}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
}
