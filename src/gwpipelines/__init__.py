"""gwpipelines: GitHub Actions-native pipelines for Terragrunt infrastructure-as-code."""

__version__ = "0.1.0"
