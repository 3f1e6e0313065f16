terraform {
  # 1.11 is the first release with write-only arguments (secret_string_wo), which keep
  # the customer-hash salt out of the state file.
  required_version = ">= 1.11.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    # random_password: the QuickSight reader's password (quicksight.tf).
    random = {
      source  = "hashicorp/random"
      version = "~> 3.1"
    }
  }

  # State is local by default. For a shared environment, the S3 backend with its own lock
  # file: backend.tf.example, and docs/operations.md for the switch.
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.tags
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}
