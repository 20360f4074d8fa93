# The AWS region of every unit below this folder.
locals {
  aws_region = "us-east-1"
}
