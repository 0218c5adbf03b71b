"""Files the deployer puts in S3 before a stack: Service Catalog product templates, seed code.

A ``StackSpec`` lists them in ``uploads``. Each names the file and where the bucket comes from
(an output of a stack deployed earlier in the same run, e.g. the artifacts stack); the object
key is content-addressed (``<env>/<sha256 prefix>/<file name>``), so an unchanged file is
never uploaded twice and a changed one gets a new URL, which is what makes CloudFormation see
the change. When ``parameter`` is set, the stack receives the object's URL in that parameter;
when ``version_parameter`` is set, a version name derived from the content (a Service Catalog
product gets a new provisioning artifact exactly when its template changes).

An upload is a file as it is, or content rendered at deploy time (``render``) from the outputs of
the stacks deployed before it, e.g. an MLOps project template whose defaults name the artifacts
bucket and the project role. ``preview()`` renders it before those stacks exist (their outputs
are placeholders), which is what the gate judges. ``tags`` are set on the object when it is put,
e.g. ``servicecatalog:provisioning`` that lets the SageMaker projects launch role read it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

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
    #: makes the content from the earlier stacks' outputs ({stack: {output: value}}); None: the file
    render: Callable[[Outputs], bytes] | None = None
    #: object name (default: the file's name)
    name: str | None = None
    #: stack parameter that receives the content's version name (``content_version``)
    version_parameter: str | None = None
    #: object tags, as (key, value) pairs
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def file_name(self) -> str:
        return self.name or Path(self.path).name

    @property
    def is_template(self) -> bool:
        return Path(self.file_name).suffix.lower() in TEMPLATE_SUFFIXES

    def content(self, outputs: Mapping[str, Mapping[str, str]]) -> bytes:
        """The bytes to upload, given the outputs of the stacks deployed so far."""
        if self.render is None:
            return Path(self.path).read_bytes()
        return self.render(outputs if isinstance(outputs, Outputs) else Outputs(outputs))

    def preview(self) -> bytes:
        """The content before the stacks it depends on exist: their outputs are placeholders."""
        return self.content(Outputs({}, pending=True))


class Outputs:
    """Stack outputs a rendered upload reads: ``outputs.get(stack, key)``.

    A missing output is a DeployError naming it; for a preview, a readable placeholder.
    """

    def __init__(self, outputs: Mapping[str, Mapping[str, str]], pending: bool = False):
        self._outputs = outputs
        self.pending = pending

    def get(self, stack: str, key: str) -> str:
        value = (self._outputs.get(stack) or {}).get(key)
        if value:
            return value
        if self.pending:
            return f"<output {key} of stack {stack}>"
        raise DeployError(f"an upload needs output {key} of stack {stack}, which has no such output "
                          f"(deploy {stack} first)")


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
                  parameter=_get(obj, "parameter"), prefix=_get(obj, "prefix"), render=_get(obj, "render"),
                  name=_get(obj, "name"), version_parameter=_get(obj, "version_parameter"),
                  tags=tuple(_get(obj, "tags", ()) or ()))


def content_key(body: bytes, name: str, prefix: str) -> str:
    """Where content is stored: ``<prefix>/<sha256 prefix>/<name>`` (content-addressed)."""
    return f"{prefix.strip('/')}/{hashlib.sha256(body).hexdigest()[:16]}/{name}"


def object_key(path: Path, prefix: str) -> str:
    return content_key(Path(path).read_bytes(), Path(path).name, prefix)


def content_version(body: bytes) -> str:
    """A version name that changes exactly when the content does (as ``stacks.template_version``)."""
    return "v-" + hashlib.sha256(body).hexdigest()[:12]


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


def put_if_absent(s3, bucket: str, key: str, source: Path | bytes,
                  tags: tuple[tuple[str, str], ...] = ()) -> bool:
    """Upload unless the (content-addressed) object exists. Returns True when it uploaded.

    `source` is a file or the bytes themselves; `tags` are set on the new object.
    """
    import botocore.exceptions

    if exists(s3, bucket, key):
        return False
    body = source if isinstance(source, bytes) else Path(source).read_bytes()
    extra = {"Tagging": urlencode(list(tags))} if tags else {}
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body, **extra)
    except botocore.exceptions.ClientError as exc:
        err = exc.response.get("Error", {})
        what = key.rsplit("/", 1)[-1] if isinstance(source, bytes) else source
        raise DeployError(f"uploading {what} to s3://{bucket}/{key} failed: {err.get('Code')} {err.get('Message')}") from None
    return True
