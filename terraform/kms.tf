# One customer-managed key encrypts everything this deployment stores: the S3 data zones,
# the Kinesis stream, Glue job logs, bookmarks and temp files, the Redshift namespace,
# both secrets and the alert topic.

resource "aws_kms_key" "main" {
  description             = "${local.name_prefix}: S3, Kinesis, Glue, Redshift, Secrets Manager, SNS"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms_key.json
}

resource "aws_kms_alias" "main" {
  name          = "alias/${local.name_prefix}"
  target_key_id = aws_kms_key.main.key_id
}

# In a key policy, Resource "*" means "this key" (the policy is attached to one key);
# it is the only form AWS accepts there.
data "aws_iam_policy_document" "kms_key" {
  #checkov:skip=CKV_AWS_356:This is a key policy, not an IAM policy: Resource "*" there means this one key and is the only value AWS accepts.
  #checkov:skip=CKV_AWS_111:Key policy: kms:* goes only to this account's root (AWS's default key policy), which delegates every other use to IAM policies naming this key.
  #checkov:skip=CKV_AWS_109:Key policy: the account root must be able to administer the key, or the key becomes unmanageable; no other principal gets kms:*.
  # The account administers the key; every other use is granted by IAM policies that
  # name this key's ARN (see iam.tf).
  statement {
    sid       = "AccountAdministersKey"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # CloudWatch Logs encrypts the Glue job log group (and the groups Glue creates under
  # its security configuration), only for log groups of this account and Region.
  statement {
    sid       = "CloudWatchLogsEncryptsGlueLogs"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${var.aws_region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${var.aws_region}:${local.account_id}:log-group:*"]
    }
  }

  # QuickSight's Secrets Manager role decrypts the reader's secret, through Secrets
  # Manager only ("Using AWS Secrets Manager secrets instead of database credentials in
  # Amazon QuickSight": a secret under a customer managed key needs the role to be allowed
  # to decrypt with it). The role is named in a condition: QuickSight creates it, and a
  # key policy naming a role that does not exist yet is refused.
  dynamic "statement" {
    for_each = var.enable_quicksight ? [1] : []
    content {
      sid       = "QuickSightDecryptsReaderSecret"
      actions   = ["kms:Decrypt"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:PrincipalArn"
        values   = [local.quicksight_secrets_role_arn]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${var.aws_region}.amazonaws.com"]
      }

      condition {
        test     = "StringLike"
        variable = "kms:EncryptionContext:SecretARN"
        values   = ["arn:${local.partition}:secretsmanager:${var.aws_region}:${local.account_id}:secret:${local.name_prefix}/quicksight-reader-*"]
      }
    }
  }

  # EventBridge, CloudWatch alarms and AWS Budgets publish to the encrypted alert topic
  # (Budgets needs kms:GenerateDataKey* and kms:Decrypt on the topic's key: "Creating an
  # Amazon SNS topic for budget notifications", AWS Budgets User Guide).
  statement {
    sid       = "AlertPublishersUseKeyForTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com", "cloudwatch.amazonaws.com", "budgets.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}
