"""The account factory: creates an AWS account for a merged `accounts.yml` entry and opens its baseline PR."""

from gwpipelines.extensions.account_factory.extension import AccountFactoryExtension

__all__ = ["AccountFactoryExtension"]
