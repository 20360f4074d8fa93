output "instance_id" {
  description = "ID of the bastion EC2 instance."
  value       = aws_instance.bastion.id
}

output "public_ip" {
  description = "Public IP address to SSH to."
  value       = aws_instance.bastion.public_ip
}

output "security_group_id" {
  description = "Security group of the bastion; allow it in the security groups of hosts it should reach."
  value       = aws_security_group.bastion.id
}
