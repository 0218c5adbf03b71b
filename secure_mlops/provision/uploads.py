"""Files the deployer puts in S3 before a stack: Service Catalog product templates, seed code.

A ``StackSpec`` lists them in ``uploads``. Each names the file and where the bucket comes from
(an output of a stack deployed earlier in the same run, e.g. the artifacts stack); the object
key is content-addressed (``<env>/<sha256 prefix>/<file name>``), so an unchanged file is
never uploaded twice and a changed one gets a new URL, which is what makes CloudFormation see
the change. When ``parameter`` is set, the stack receives the object's URL in that parameter.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .deploy_errors import DeployError

#: file name suffixes that are CloudFormation templates (and are therefore gated)
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")


@dataclass(frozen=True)
class Upload:
    path: Path
    #: (stack name, output key) of an earlier stack whose output is the bucket name
    bucket_output: tuple[str, str]
    #: stack parameter that receives the object's https URL (None: the stack does not need it)
    parameter: str | None = None
    #: key prefix (default: the environment name, given by the deployer)
    prefix: str | None = None

    @property
    def is_template(self) -> bool:
        return Path(self.path).suffix.lower() in TEMPLATE_SUFFIXES


def _get(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def as_upload(obj: Any) -> Upload:
    """Accept an Upload, or any object / dict with the same fields."""
    if isinstance(obj, Upload):
        return obj
    bucket_output = _get(obj, "bucket_output")
    if not bucket_output or len(bucket_output) != 2:
        raise DeployError(f"upload {obj!r} does not say which stack output names its bucket (bucket_output)")
    return Upload(path=Path(_get(obj, "path")), bucket_output=tuple(bucket_output),
                  parameter=_get(obj, "parameter"), prefix=_get(obj, "prefix"))


def object_key(path: Path, prefix: str) -> str:
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    return f"{prefix.strip('/')}/{digest}/{Path(path).name}"


def object_url(s3, bucket: str, key: str) -> str:
    """The URL CloudFormation and Service Catalog read the object from.

    Built from the S3 client's own endpoint (path style), so it is right for every region and
    for any endpoint the session is pointed at.
    """
    endpoint = s3.meta.endpoint_url.rstrip("/")
    return f"{endpoint}/{bucket}/{quote(key)}"


def exists(s3, bucket: str, key: str) -> bool:
    import botocore.exceptions

    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code not in ("404", "NoSuchKey", "NotFound"):
            raise DeployError(f"cannot read s3://{bucket}/{key}: {code} {exc}") from None
    return False


def put_if_absent(s3, bucket: str, key: str, path: Path) -> bool:
    """Upload unless the (content-addressed) object exists. Returns True when it uploaded."""
    import botocore.exceptions

    if exists(s3, bucket, key):
        return False
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=Path(path).read_bytes())
    except botocore.exceptions.ClientError as exc:
        err = exc.response.get("Error", {})
        raise DeployError(f"uploading {path} to s3://{bucket}/{key} failed: {err.get('Code')} {err.get('Message')}") from None
    return True
