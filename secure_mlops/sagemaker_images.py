"""SageMaker-owned ECR registries: where framework and algorithm images come from.

Control SM-MOD-03 allows model containers only from the environment's own accounts and
from these SageMaker-owned registries. The seed pipeline uses them to build image URIs.

Sources: the registry tables of the SageMaker developer guide ("Docker registry paths and
example code") and of the SageMaker Python SDK's image_uri_config (xgboost / sklearn
framework images, versions 1.0 and later). Region → account id.
"""

from __future__ import annotations

#: sagemaker-xgboost (1.0-1 and later) and sagemaker-scikit-learn framework images
FRAMEWORK_REGISTRIES: dict[str, str] = {
    "af-south-1": "510948584623",
    "ap-east-1": "651117190479",
    "ap-northeast-1": "354813040037",
    "ap-northeast-2": "366743142698",
    "ap-northeast-3": "867004704886",
    "ap-south-1": "720646828776",
    "ap-south-2": "628508329040",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ap-southeast-3": "951798379941",
    "ap-southeast-4": "106583098589",
    "ca-central-1": "341280168497",
    "ca-west-1": "190319476487",
    "eu-central-1": "492215442770",
    "eu-central-2": "680994064768",
    "eu-north-1": "662702820516",
    "eu-south-1": "978288397137",
    "eu-south-2": "104374241257",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-west-3": "659782779980",
    "il-central-1": "898809789911",
    "me-central-1": "272398656194",
    "me-south-1": "801668240914",
    "sa-east-1": "737474898029",
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
}

#: AWS Deep Learning Containers (PyTorch, TensorFlow, Hugging Face) in most commercial regions
DLC_REGISTRY = "763104351884"


def allowed_image_accounts(region: str | None = None) -> set[str]:
    """SageMaker-owned accounts whose images a model may use (one region, or all)."""
    if region:
        accounts = {FRAMEWORK_REGISTRIES[region]} if region in FRAMEWORK_REGISTRIES else set()
    else:
        accounts = set(FRAMEWORK_REGISTRIES.values())
    return accounts | {DLC_REGISTRY}


def framework_image(framework: str, version: str, region: str, suffix: str = "") -> str:
    """ECR URI of a SageMaker framework image, e.g. framework_image('sagemaker-xgboost', '1.7-1', 'us-east-1')."""
    try:
        account = FRAMEWORK_REGISTRIES[region]
    except KeyError:
        raise ValueError(f"no SageMaker framework registry known for region {region!r}") from None
    return f"{account}.dkr.ecr.{region}.amazonaws.com/{framework}:{version}{suffix}"
