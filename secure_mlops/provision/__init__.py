"""Provisioning: configuration, CloudFormation templates, deployer, read-back verification, emulator."""
