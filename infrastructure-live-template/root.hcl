# Root Terragrunt configuration, included by every unit:
#   include "root" { path = find_in_parent_folders("root.hcl") }
# Everything here is evaluated in the including unit's directory, so find_in_parent_folders() finds that unit's
# account.hcl, region.hcl and env.hcl, and path_relative_to_include() is the unit's path in this repository.

locals {
  account_vars = read_terragrunt_config(find_in_parent_folders("account.hcl"))
  region_vars  = read_terragrunt_config(find_in_parent_folders("region.hcl"))
  env_vars     = read_terragrunt_config(find_in_parent_folders("env.hcl"))
  common_tags  = yamldecode(file(find_in_parent_folders("tags.yml")))

  account_name = local.account_vars.locals.account_name
  account_id   = local.account_vars.locals.aws_account_id
  aws_region   = local.region_vars.locals.aws_region
  environment  = local.env_vars.locals.environment

  # The state backend, named once: the account baseline's state policies (_global/pipelines-*-policy) read these.
  state_bucket_prefix = "acme-tofu-state-${local.account_name}"
  state_lock_table    = "tofu-locks"

  tags = merge(local.common_tags, {
    account     = local.account_name
    environment = local.environment
  })
}

# One state bucket per account and region; one state file per unit, keyed by the unit's path.
remote_state {
  backend = "s3"
  config = {
    encrypt        = true
    bucket         = "${local.state_bucket_prefix}-${local.aws_region}"
    key            = "${path_relative_to_include()}/tofu.tfstate"
    region         = local.aws_region
    dynamodb_table = local.state_lock_table
  }
  generate = {
    path      = "backend.tf"
    if_exists = "overwrite_terragrunt"
  }
}

generate "provider" {
  path      = "provider.tf"
  if_exists = "overwrite_terragrunt"
  contents  = <<EOT
provider "aws" {
  region              = "${local.aws_region}"
  allowed_account_ids = ["${local.account_id}"]

  default_tags {
    tags = ${jsonencode(local.tags)}
  }
}
EOT
}

# Every unit gets the account, region and environment settings as inputs; a unit's own inputs win.
inputs = merge(
  local.account_vars.locals,
  local.region_vars.locals,
  local.env_vars.locals,
  { tags = local.tags },
)
