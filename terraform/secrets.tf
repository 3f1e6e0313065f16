# The salt of the customer hash. Secrets Manager generates it (GetRandomPassword) inside an
# ephemeral resource and it is written with a write-only argument, so the value is never
# in the plan or the state. The jobs get only the secret's ARN (--hash_salt_secret_id);
# the Glue role may read this one secret and nothing else.

ephemeral "aws_secretsmanager_random_password" "hash_salt" {
  password_length     = 64
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret" "hash_salt" {
  #checkov:skip=CKV2_AWS_57:Rotating the salt would change every customer hash and break joins across days; it is replaced only on purpose by bumping hash_salt_version.
  name                    = "${local.name_prefix}/customer-hash-salt"
  description             = "Salt of the customer hash used by the Cafe Connect Glue jobs. Never pass it as --hash_salt on AWS."
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = var.secret_recovery_window_days
}

resource "aws_secretsmanager_secret_version" "hash_salt" {
  secret_id                = aws_secretsmanager_secret.hash_salt.id
  secret_string_wo         = ephemeral.aws_secretsmanager_random_password.hash_salt.random_password
  secret_string_wo_version = var.hash_salt_version
}
