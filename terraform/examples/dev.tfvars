# A throw-away development deployment: the smallest sizes, buckets that `terraform destroy`
# may empty, logs kept for a month. From terraform/:
#   terraform plan -var-file=examples/dev.tfvars -out=tfplan && terraform apply tfplan
# Every input not set here keeps its default (see the Inputs table in terraform/README.md).

environment = "dev"
aws_region  = "eu-west-2"

# Required: an existing VPC with three private subnets in three Availability Zones whose
# route tables have an S3 gateway endpoint (Redshift's COPY uses enhanced VPC routing).
vpc_id              = "vpc-0123456789abcdef0"
redshift_subnet_ids = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0ccccccccccccccc3"]

# Job failures, late files and stream lag are mailed here (confirm AWS's first mail).
alert_email = "data-dev@example.com"

# Sample data only: raw files need not outlive a week, and destroy may empty the buckets.
raw_retention_days    = 7
force_destroy_buckets = true
log_retention_days    = 30

# Secrets deleted at once on destroy, so the next dev apply can reuse their names.
secret_recovery_window_days = 0

tags = {
  CostCentre = "data-platform-dev"
}
