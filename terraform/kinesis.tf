# The live feed: each record is one till transaction (a JSON array of the seven fields,
# or a JSON object with the field names). Records hold personal data until the streaming
# job hashes them, so the stream is encrypted with the customer key.

resource "aws_kinesis_stream" "transactions" {
  count = var.enable_streaming ? 1 : 0

  name             = "${local.name_prefix}-transactions"
  retention_period = var.kinesis_retention_hours
  shard_count      = var.kinesis_stream_mode == "PROVISIONED" ? var.kinesis_shard_count : null
  encryption_type  = "KMS"
  kms_key_id       = aws_kms_key.main.arn

  stream_mode_details {
    stream_mode = var.kinesis_stream_mode
  }
}
