# Common configuration for the mysql component (Amazon RDS for MySQL).

terraform {
  source = "git::https://github.com/terraform-aws-modules/terraform-aws-rds.git?ref=v6.10.0"
}

locals {
  env_vars    = read_terragrunt_config(find_in_parent_folders("env.hcl"))
  environment = local.env_vars.locals.environment
}

inputs = {
  identifier           = "${local.environment}-mysql"
  engine               = "mysql"
  engine_version       = "8.0"
  family               = "mysql8.0"
  major_engine_version = "8.0"
  instance_class       = local.env_vars.locals.mysql_instance_class
  allocated_storage    = local.env_vars.locals.mysql_storage_gb

  db_name  = "app"
  username = "app_admin"
  port     = 3306

  manage_master_user_password = true
  multi_az                    = local.environment == "prod"
  deletion_protection         = local.environment == "prod"
  backup_retention_period     = local.environment == "prod" ? 30 : 3
}
