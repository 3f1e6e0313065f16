# The chain's production deployment: ~150 branches, tills streaming through trading hours,
# QuickSight for the franchise managers. From terraform/:
#   terraform plan -var-file=examples/prod.tfvars -out=tfplan && terraform apply tfplan
# Every input not set here keeps its default (see the Inputs table in terraform/README.md).

environment = "prod"
aws_region  = "eu-west-2"

vpc_id              = "vpc-0fedcba9876543210"
redshift_subnet_ids = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0ccccccccccccccc3"]

# An on-call list, not a person.
alert_email = "data-oncall@example.com"

# Raw files hold customer names and card numbers: keep them only as long as a late or
# re-sent till file can still arrive and be reprocessed.
raw_retention_days = 30

# The nightly run starts at 02:30 UTC, after the tills' overnight upload.
nightly_schedule = "cron(30 2 * * ? *)"
lookback_days    = 7

# 150 branches put well under 1,000 records/s at the lunchtime peak: one shard holds it.
kinesis_stream_mode     = "PROVISIONED"
kinesis_shard_count     = 1
kinesis_retention_hours = 24

# The tills trade 07:00-19:00 London time: the streaming job starts before opening and
# stops itself at closing. It loads the warehouse every 870 s (at most 15 minutes behind);
# each load bills Redshift for at least a minute, so this is the warehouse's cost lever.
trading_open                    = "07:00"
trading_close                   = "19:00"
streaming_load_interval_seconds = 870

# The base capacity is billed only while Redshift works (4 RPU is the smallest); the
# maximum caps a runaway query, the usage limit a runaway day, the budget a runaway month
# (`cafe-etl cost --tfvars terraform/examples/prod.tfvars` prints what these come to).
redshift_base_capacity         = 4
redshift_max_capacity          = 32
redshift_usage_limit_rpu_hours = 8
monthly_budget_usd             = 220

# Managers read the trend views in QuickSight (the account's subscription must exist).
enable_quicksight        = true
quicksight_principal_arn = "arn:aws:quicksight:eu-west-2:111122223333:group/default/cafe-managers"

# Audit trail for a year (CloudWatch Logs storage grows with it; the default is 30 days).
log_retention_days        = 365
access_log_retention_days = 365

tags = {
  CostCentre = "data-platform"
}
