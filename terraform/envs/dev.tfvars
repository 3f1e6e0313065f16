# terraform plan -var-file=envs/dev.tfvars
environment = "dev"
aws_region  = "eu-west-2"

# An existing VPC with three private subnets in three Availability Zones, and an S3
# gateway endpoint on their route tables (COPY uses enhanced VPC routing).
vpc_id              = "vpc-0123456789abcdef0"
redshift_subnet_ids = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0ccccccccccccccc3"]

raw_retention_days = 30
nightly_schedule   = "cron(30 2 * * ? *)"

kinesis_stream_mode = "PROVISIONED"
kinesis_shard_count = 1

redshift_base_capacity = 8
redshift_max_capacity  = 32

alert_email = "data-alerts@example.com"

# QuickSight (needs the account's QuickSight subscription first; see README).
# enable_quicksight        = true
# quicksight_principal_arn = "arn:aws:quicksight:eu-west-2:111122223333:group/default/cafe-managers"

force_destroy_buckets = true

tags = {
  CostCentre = "data-platform"
}
