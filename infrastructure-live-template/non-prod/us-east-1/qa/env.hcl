# Settings of the qa environment, read by root.hcl and the _envcommon components for every unit below.
locals {
  environment = "qa"
  vpc_cidr    = "10.20.0.0/16"

  mysql_instance_class = "db.t4g.small"
  mysql_storage_gb     = 20
  redis_node_type      = "cache.t4g.small"

  app_cpu           = 512
  app_memory        = 1024
  app_desired_count = 1
}
