# Common configuration for the bastion component: an SSH jump host built from this repository's own module in
# modules/bastion (a local source: a change to the module's files plans every bastion).

terraform {
  source = "${dirname(find_in_parent_folders("root.hcl"))}/modules//bastion"
}

locals {
  env_vars    = read_terragrunt_config(find_in_parent_folders("env.hcl"))
  environment = local.env_vars.locals.environment
}

# The bastion lives in the environment's VPC; get_terragrunt_dir() is the including unit's directory.
dependency "vpc" {
  config_path = "${get_terragrunt_dir()}/../vpc"

  mock_outputs = {
    vpc_id         = "vpc-0123456789abcdef0"
    public_subnets = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2", "subnet-0aaaaaaaaaaaaaaa3"]
    vpc_cidr_block = "10.0.0.0/16"
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
}

inputs = {
  name              = "${local.environment}-bastion"
  vpc_id            = dependency.vpc.outputs.vpc_id
  subnet_id         = dependency.vpc.outputs.public_subnets[0]
  allowed_ssh_cidrs = jsondecode(file("${get_repo_root()}/data/bastion-allowed-cidrs.json"))
}
