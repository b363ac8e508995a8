"""Looks at moto's EC2 state for the tests, independently of the driver (boto3).

  inventory.py setup   the IAM user the tests use; prints: ACCESS_KEY SECRET_KEY AMI
  inventory.py         everything the driver can make, as JSON (DM_MOTO_* from run.sh)
"""
import json
import os
import sys

import boto3

ENDPOINT = os.environ.get("DM_MOTO_ENDPOINT", "http://127.0.0.1:5000")


def client(service, key, secret):
    return boto3.client(service, endpoint_url=ENDPOINT, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret)


def setup():
    # moto serves these three calls without checking credentials (INITIAL_NO_AUTH_ACTION_COUNT).
    iam = client("iam", "setup", "setup")
    iam.create_user(UserName="docker-machine-tests")
    key = iam.create_access_key(UserName="docker-machine-tests")["AccessKey"]
    iam.put_user_policy(UserName="docker-machine-tests", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    ec2 = client("ec2", key["AccessKeyId"], key["SecretAccessKey"])
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    print(key["AccessKeyId"], key["SecretAccessKey"], ami)


def tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def inventory():
    ec2 = client("ec2", os.environ["DM_MOTO_ACCESS_KEY"], os.environ["DM_MOTO_SECRET_KEY"])
    volumes = {v["VolumeId"]: tags(v) for v in ec2.describe_volumes()["Volumes"]}
    instances = {}
    for r in ec2.describe_instances()["Reservations"]:
        for i in r["Instances"]:
            instances[i["InstanceId"]] = {
                "state": i["State"]["Name"],
                "key": i.get("KeyName", ""),
                "type": i.get("InstanceType", ""),
                "image": i.get("ImageId", ""),
                "subnet": i.get("SubnetId", ""),
                # moto lists the groups of an instance launched with a network
                # interface specification on the interface only.
                "groups": sorted({g["GroupId"] for g in i.get("SecurityGroups", [])}
                                 | {g["GroupId"] for n in i.get("NetworkInterfaces", [])
                                    for g in n.get("Groups", [])}),
                "tags": tags(i),
                "volumes": {m["Ebs"]["VolumeId"]: volumes.get(m["Ebs"]["VolumeId"], {})
                            for m in i.get("BlockDeviceMappings", []) if "Ebs" in m},
                "metadata": i.get("MetadataOptions", {}),
                "spot": i.get("SpotInstanceRequestId", ""),
                "ebs_optimized": i.get("EbsOptimized", False),
                "monitoring": i.get("Monitoring", {}).get("State", ""),
            }
    groups = {}
    for g in ec2.describe_security_groups()["SecurityGroups"]:
        groups[g["GroupName"]] = {
            "id": g["GroupId"],
            "ports": sorted("%s/%s" % (p.get("FromPort"), p["IpProtocol"]) for p in g["IpPermissions"]),
        }
    spot = {s["SpotInstanceRequestId"]: {"state": s["State"], "instance": s.get("InstanceId", ""),
                                         "price": s.get("SpotPrice", "")}
            for s in ec2.describe_spot_instance_requests()["SpotInstanceRequests"]}
    keys = sorted(k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"])
    json.dump({"instances": instances, "groups": groups, "spot": spot, "keys": keys}, sys.stdout)


if __name__ == "__main__":
    setup() if sys.argv[1:] == ["setup"] else inventory()
