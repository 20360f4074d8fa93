# Common configuration for the vpc component, included by each environment's vpc unit:
#   include "envcommon" { path = "${dirname(find_in_parent_folders("root.hcl"))}/_envcommon/vpc.hcl" }
# Functions here run in the including unit's directory, so env.hcl is that unit's environment.

terraform {
  source = "git::https://github.com/terraform-aws-modules/terraform-aws-vpc.git?ref=v5.8.1"
}

locals {
  env_vars    = read_terragrunt_config(find_in_parent_folders("env.hcl"))
  region_vars = read_terragrunt_config(find_in_parent_folders("region.hcl"))
  environment = local.env_vars.locals.environment
  cidr        = local.env_vars.locals.vpc_cidr
  aws_region  = local.region_vars.locals.aws_region
}

inputs = {
  name = "${local.environment}-vpc"
  cidr = local.cidr
  azs  = ["${local.aws_region}a", "${local.aws_region}b", "${local.aws_region}c"]

  private_subnets = [for i in range(3) : cidrsubnet(local.cidr, 4, i)]
  public_subnets  = [for i in range(3) : cidrsubnet(local.cidr, 4, i + 8)]

  enable_nat_gateway   = true
  single_nat_gateway   = local.environment != "prod"
  enable_dns_hostnames = true
}
