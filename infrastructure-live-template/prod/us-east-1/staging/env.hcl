# Settings of the staging environment, read by root.hcl and the _envcommon components for every unit below.
locals {
  environment = "staging"
  vpc_cidr    = "10.30.0.0/16"

  mysql_instance_class = "db.t4g.medium"
  mysql_storage_gb     = 50
  redis_node_type      = "cache.t4g.small"

  app_cpu           = 512
  app_memory        = 1024
  app_desired_count = 2
}
