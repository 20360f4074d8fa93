# The web application: an ECS service that talks to the environment's MySQL database and Redis cache.
include "root" {
  path = find_in_parent_folders("root.hcl")
}

include "envcommon" {
  path   = "${dirname(find_in_parent_folders("root.hcl"))}/_envcommon/app.hcl"
  expose = true
}

dependency "vpc" {
  config_path = "../vpc"

  mock_outputs = {
    vpc_id          = "vpc-0123456789abcdef0"
    vpc_cidr_block  = "10.0.0.0/16"
    private_subnets = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0bbbbbbbbbbbbbbb3"]
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
}

dependency "mysql" {
  config_path = "../mysql"

  mock_outputs = {
    db_instance_address                = "mock-mysql.abcdefghijkl.us-east-1.rds.amazonaws.com"
    db_instance_port                   = 3306
    db_instance_master_user_secret_arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:rds-mock-AbCdEf"
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
}

dependency "redis" {
  config_path = "../redis"

  mock_outputs = {
    replication_group_primary_endpoint_address = "master.mock-redis.abcdef.use1.cache.amazonaws.com"
    replication_group_port                     = 6379
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
}

inputs = {
  subnet_ids = dependency.vpc.outputs.private_subnets

  # The shared container definition (exposed by the envcommon include), plus where this environment's
  # database and cache are.
  container_definitions = {
    web = merge(include.envcommon.locals.container_definitions.web, {
      environment = [
        { name = "LOG_LEVEL", value = "info" },
        { name = "DB_HOST", value = dependency.mysql.outputs.db_instance_address },
        { name = "DB_PORT", value = tostring(dependency.mysql.outputs.db_instance_port) },
        { name = "REDIS_HOST", value = dependency.redis.outputs.replication_group_primary_endpoint_address },
        { name = "REDIS_PORT", value = tostring(dependency.redis.outputs.replication_group_port) },
      ]
      secrets = [
        { name = "DB_PASSWORD", valueFrom = dependency.mysql.outputs.db_instance_master_user_secret_arn },
      ]
    })
  }
}
