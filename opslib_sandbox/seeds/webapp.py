"""Seed 000 "secure web app pipeline": one EC2 instance running the app container on port 5000."""

import random
from datetime import datetime

from ..world import WEBAPP


def seed(c, now: datetime, rng: random.Random) -> None:
    ec2 = c("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    default = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]  # AWS's default group admits its own members; moto's admits nothing
    ec2.authorize_security_group_ingress(GroupId=default, IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": default}]}])
    sg = ec2.create_security_group(GroupName=WEBAPP["security_group"], Description="secure-webapp: app port and SSH", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5000, "ToPort": 5000, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "app"}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "203.0.113.0/24", "Description": "office SSH"}]},
    ])
    image = "ami-04681a1dbd79675a5"  # amzn2, the one image the sandbox holds (amis.json)
    ec2.create_key_pair(KeyName=WEBAPP["key_name"])
    ec2.run_instances(
        ImageId=image, InstanceType="t3.small", MinCount=1, MaxCount=1, KeyName=WEBAPP["key_name"], SecurityGroupIds=[sg],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [
            {"Key": "Name", "Value": WEBAPP["instance_name"]}, {"Key": "app", "Value": "secure-webapp"},
            {"Key": "image", "Value": "opsteam/secure-webapp:latest"}]}],  # hosts.REPOSITORY
    )
