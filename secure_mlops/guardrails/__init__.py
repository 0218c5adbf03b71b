"""Preventive controls: the control catalogue, cfn-guard rules and the template gate."""
