# Common configuration for the app component: the web application as an ECS Fargate service.
# The container definitions are shared by every environment and kept as data, in data/app/.

terraform {
  source = "git::https://github.com/terraform-aws-modules/terraform-aws-ecs.git//modules/service?ref=v5.11.4"
}

locals {
  env_vars    = read_terragrunt_config(find_in_parent_folders("env.hcl"))
  environment = local.env_vars.locals.environment

  container_definitions = jsondecode(file("${get_repo_root()}/data/app/container-definitions.json"))
}

inputs = {
  name          = "${local.environment}-app"
  cpu           = local.env_vars.locals.app_cpu
  memory        = local.env_vars.locals.app_memory
  desired_count = local.env_vars.locals.app_desired_count

  container_definitions = local.container_definitions
}
