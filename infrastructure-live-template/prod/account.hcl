# Settings of the prod AWS account, read by root.hcl for every unit below this folder.
# The account itself is declared in accounts.yml; keep the id in step with it.
locals {
  account_name   = "prod"
  aws_account_id = "444455556666"
}
