# Settings of the prod environment, read by root.hcl and the _envcommon components for every unit below.
locals {
  environment = "prod"
  vpc_cidr    = "10.40.0.0/16"

  mysql_instance_class = "db.r6g.large"
  mysql_storage_gb     = 200
  redis_node_type      = "cache.r6g.large"

  app_cpu           = 1024
  app_memory        = 2048
  app_desired_count = 4
}
