# Values for the offline checks: every optional feature switched on, so checkov and the
# wiring tests see every resource (a count = 0 resource is invisible to checkov).
environment              = "dev"
vpc_id                   = "vpc-0123456789abcdef0"
redshift_subnet_ids      = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1", "subnet-0123456789abcdef2"]
enable_quicksight        = true
quicksight_principal_arn = "arn:aws:quicksight:eu-west-2:111122223333:group/default/cafe-managers"
