# Settings of the non-prod AWS account, read by root.hcl for every unit below this folder.
# The account itself is declared in accounts.yml; keep the id in step with it.
locals {
  account_name   = "non-prod"
  aws_account_id = "111122223333"
}
