# Common configuration for the redis component (Amazon ElastiCache for Redis).

terraform {
  source = "git::https://github.com/terraform-aws-modules/terraform-aws-elasticache.git?ref=v1.4.1"
}

locals {
  env_vars    = read_terragrunt_config(find_in_parent_folders("env.hcl"))
  environment = local.env_vars.locals.environment
}

inputs = {
  replication_group_id = "${local.environment}-redis"
  engine               = "redis"
  engine_version       = "7.1"
  node_type            = local.env_vars.locals.redis_node_type
  num_cache_clusters   = local.environment == "prod" ? 2 : 1

  transit_encryption_enabled = true
  at_rest_encryption_enabled = true
  apply_immediately          = local.environment != "prod"
}
