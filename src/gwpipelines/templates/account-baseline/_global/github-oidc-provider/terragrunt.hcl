# GitHub's OIDC identity provider in this account: lets workflows of the pipelines repository exchange their
# OIDC token for the plan or apply role's credentials (sts:AssumeRoleWithWebIdentity); no long-lived keys.
include "root" {
  path = find_in_parent_folders("root.hcl")
}

terraform {
  source = "git::https://github.com/terraform-aws-modules/terraform-aws-iam.git//modules/iam-github-oidc-provider?ref=v5.39.1"
}

inputs = {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}
