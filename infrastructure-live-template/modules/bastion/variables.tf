variable "name" {
  description = "Name of the bastion host and the prefix of its security group."
  type        = string
}

variable "vpc_id" {
  description = "The VPC the bastion host runs in."
  type        = string
}

variable "subnet_id" {
  description = "A public subnet of that VPC."
  type        = string
}

variable "allowed_ssh_cidrs" {
  description = "CIDR blocks allowed to reach the bastion over SSH."
  type        = list(string)
}

variable "instance_type" {
  description = "EC2 instance type of the bastion host."
  type        = string
  default     = "t3.micro"
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
