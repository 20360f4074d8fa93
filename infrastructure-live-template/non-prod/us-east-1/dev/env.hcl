# Settings of the dev environment, read by root.hcl and the _envcommon components for every unit below.
locals {
  environment = "dev"
  vpc_cidr    = "10.10.0.0/16"

  mysql_instance_class = "db.t4g.micro"
  mysql_storage_gb     = 20
  redis_node_type      = "cache.t4g.micro"

  app_cpu           = 256
  app_memory        = 512
  app_desired_count = 1
}
