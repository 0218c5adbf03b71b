"""Where a caller runs, on the embedded emulator: a simulation of network placement.

On AWS, code that runs inside the environment's VPC (a Studio notebook, a CodeBuild job in the
private subnets) reaches S3 through the VPC's S3 gateway endpoint, so its requests carry the
``aws:SourceVpce`` / ``aws:SourceVpc`` condition keys that the environment's bucket policies
require, and the endpoint's own policy applies to them. The emulator cannot know where a caller
runs, so a caller says it: ``inside_vpc(session, vpce_id)`` returns a session whose requests
carry the ``x-secure-mlops-emulator-source-vpce`` header. The emulator's S3 then evaluates them
as coming through that endpoint, and refuses them (AccessDenied) when the id is not an S3
gateway endpoint of the caller's account and region.

This is not an AWS feature: AWS decides the source endpoint from the network path, and
ignores the header. It exists only so that tests and the demo can act as a data scientist in
Studio against the emulator.
"""

from __future__ import annotations

from typing import Any

#: the header the emulator's S3 reads (lower case, as HTTP headers compare)
SOURCE_VPCE_HEADER = "x-secure-mlops-emulator-source-vpce"


def inside_vpc(session: Any, vpc_endpoint_id: str) -> Any:
    """A new boto3 session, with ``session``'s credentials and region, whose every request says
    it comes through the S3 gateway endpoint ``vpc_endpoint_id`` (emulator only)."""
    import boto3

    if not vpc_endpoint_id or not str(vpc_endpoint_id).startswith("vpce-"):
        raise ValueError(f"inside_vpc needs the id of a VPC endpoint (vpce-...), not {vpc_endpoint_id!r}")
    creds = session.get_credentials()
    frozen = creds.get_frozen_credentials() if creds is not None else None
    placed = boto3.Session(
        aws_access_key_id=frozen.access_key if frozen else None,
        aws_secret_access_key=frozen.secret_key if frozen else None,
        aws_session_token=frozen.token if frozen else None,
        region_name=session.region_name,
    )

    def mark(request: Any, **_: Any) -> None:
        request.headers[SOURCE_VPCE_HEADER] = vpc_endpoint_id

    placed.events.register("before-sign", mark)
    return placed
