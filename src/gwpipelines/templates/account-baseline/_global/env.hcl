# Account-wide resources belong to no single environment.
locals {
  environment = "global"
}
