# An SSH jump host into the environment's VPC (module: modules/bastion in this repository).
include "root" {
  path = find_in_parent_folders("root.hcl")
}

include "envcommon" {
  path   = "${dirname(find_in_parent_folders("root.hcl"))}/_envcommon/bastion.hcl"
  expose = true
}

inputs = {
  instance_type = "t3.micro"
}
