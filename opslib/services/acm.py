"""ACM certificates (seed 003 "Certificate Management")."""

# ListCertificates returns only RSA_1024 and RSA_2048 certificates unless asked for the other key types: an EC
# certificate (what a modern load balancer is given) would be missed by seed 003's `aws acm list-certificates`.
KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]


def certificates(aws) -> list[dict]:
    """Every certificate in the region, described (`aws acm describe-certificate`, at once): NotAfter, Status, Type,
    RenewalEligibility and InUseBy (the load balancers and distributions that serve it)."""
    from ..aws import at_once

    acm = aws.client("acm")
    arns = [c["CertificateArn"] for page in acm.get_paginator("list_certificates").paginate(Includes={"keyTypes": KEY_TYPES})
            for c in page["CertificateSummaryList"]]
    return at_once([lambda arn=arn: acm.describe_certificate(CertificateArn=arn)["Certificate"] for arn in arns])
