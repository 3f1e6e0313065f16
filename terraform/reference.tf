# ---------------------------------------------------------------------------------------
# Reference data the jobs read at start (--reference_uri): branch or town -> ONS region.
# Rows here extend the table shipped in the wheel (lib/cafe_etl/data/uk_towns.csv) and win
# over it for the same name, so a branch in a town the wheel does not know gets its region
# with an edit of reference/branch_regions.csv and `terraform apply`, not a release. It
# lives in the lake bucket, outside the folders the crawler catalogues, under the bucket's
# KMS key like everything else there.
# ---------------------------------------------------------------------------------------

resource "aws_s3_object" "branch_regions" {
  bucket       = module.bucket["lake"].id
  key          = "reference/branch_regions.csv"
  source       = "${path.module}/../reference/branch_regions.csv"
  source_hash  = filemd5("${path.module}/../reference/branch_regions.csv")
  content_type = "text/csv"
  kms_key_id   = aws_kms_key.main.arn
}

locals {
  reference_uri = "s3://${module.bucket["lake"].bucket}/${aws_s3_object.branch_regions.key}"
}
