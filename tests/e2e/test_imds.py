"""Unchanged applications get role credentials from iamd's metadata endpoints.

boto3 and the AWS CLI run in processes of their own whose environment holds no
credentials at all: only ``AWS_ENDPOINT_URL`` (iamd) and either
``AWS_EC2_METADATA_SERVICE_ENDPOINT`` (``iamd imds``) or
``AWS_CONTAINER_CREDENTIALS_FULL_URI`` with ``AWS_CONTAINER_AUTHORIZATION_TOKEN``
(``iamd container-credentials``). Their default credential chain must find the role's
session, and iamd must then authorise them exactly as the role.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ACCOUNT_ID, ROOT_KEY, ROOT_SECRET, RunningServer, start_server, stop_server

EC2_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
ECS_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole",
     "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}}]})


def allow(*actions: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})


@dataclass
class Endpoint:
    process: subprocess.Popen[str]
    lines: dict[str, str]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_endpoint(args: list[str], wanted: str) -> Endpoint:
    """Run ``iamd ARGS`` and wait for the line that starts with ``wanted=``."""
    env = dict(os.environ, IAMD_ACCOUNT_ID=ACCOUNT_ID, IAMD_LOG_LEVEL="warning")
    process = subprocess.Popen([sys.executable, "-m", "iamd.cli", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=env)
    assert process.stdout is not None
    lines: dict[str, str] = {}
    seen: list[str] = []
    deadline = time.monotonic() + 60
    while wanted not in lines and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        name, sep, value = line.strip().partition("=")
        if sep:
            lines[name] = value
    if wanted not in lines:
        process.kill()
        raise RuntimeError("the endpoint did not start:\n" + "".join(seen) + (process.stdout.read() or ""))
    if wanted == "AWS_CONTAINER_CREDENTIALS_FULL_URI":
        # The container endpoint prints its token on the next line.
        name, _, value = process.stdout.readline().strip().partition("=")
        lines[name] = value
    return Endpoint(process, lines)


@dataclass
class Stack:
    server: RunningServer
    data_dir: Path
    imds: Endpoint
    container: Endpoint

    @property
    def imds_url(self) -> str:
        return self.imds.lines["AWS_EC2_METADATA_SERVICE_ENDPOINT"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir = tmp_path_factory.mktemp("imds-store")
    server = start_server(["--data-dir", str(data_dir)], {})
    iam = server.client("iam")
    iam.create_role(RoleName="web", AssumeRolePolicyDocument=EC2_TRUST)
    iam.put_role_policy(RoleName="web", PolicyName="read-roles", PolicyDocument=allow("iam:ListRoles"))
    iam.create_instance_profile(InstanceProfileName="web-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="web-profile", RoleName="web")
    iam.create_role(RoleName="task", AssumeRolePolicyDocument=ECS_TRUST)
    iam.put_role_policy(RoleName="task", PolicyName="read-users", PolicyDocument=allow("iam:ListUsers"))
    store = ["--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", "0"]
    imds = start_endpoint(["imds", "--instance-profile", "web-profile", *store], "AWS_EC2_METADATA_SERVICE_ENDPOINT")
    container = start_endpoint(["container-credentials", "--role", "task", *store], "AWS_CONTAINER_CREDENTIALS_FULL_URI")
    yield Stack(server, data_dir, imds, container)
    imds.stop()
    container.stop()
    stop_server(server)


def bare_env(server: RunningServer, **extra: str) -> dict[str, str]:
    """An environment with no credentials in it, and no files to find any in."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "IAMD_"))}
    env.update(
        AWS_ENDPOINT_URL=server.endpoint, AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", **extra,
    )
    return env


APP = """
import json, boto3
from botocore.exceptions import ClientError
session = boto3.Session()
credentials = session.get_credentials()
if credentials is None:
    print(json.dumps({"method": None}))
    raise SystemExit(0)
iam = session.client("iam")
result = {"method": credentials.method, "arn": session.client("sts").get_caller_identity()["Arn"]}
for name in ("list_roles", "list_users"):
    try:
        getattr(iam, name)()
        result[name] = "allowed"
    except ClientError as error:
        result[name] = error.response["Error"]["Code"]
print(json.dumps(result))
"""


def run_app(env: dict[str, str]) -> dict[str, str]:
    done = subprocess.run([sys.executable, "-c", APP], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    answer: dict[str, str] = json.loads(done.stdout)
    return answer


def aws(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    cli = str(Path(sys.executable).parent / "aws")
    return subprocess.run([cli, *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=120)


def instance_id(stack: Stack) -> str:
    with urllib.request.urlopen(stack.imds_url + "latest/meta-data/instance-id", timeout=5) as answer:
        text: str = answer.read().decode()
    return text


# -- EC2 instance metadata ----------------------------------------------------------------

def test_boto3_on_the_instance_acts_as_the_role(stack: Stack) -> None:
    result = run_app(bare_env(stack.server, AWS_EC2_METADATA_SERVICE_ENDPOINT=stack.imds_url))
    assert result == {
        "method": "iam-role",
        "arn": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/web/{instance_id(stack)}",
        "list_roles": "allowed",
        "list_users": "AccessDenied",
    }


def test_the_aws_cli_on_the_instance_acts_as_the_role(stack: Stack) -> None:
    env = bare_env(stack.server, AWS_EC2_METADATA_SERVICE_ENDPOINT=stack.imds_url)
    identity = aws(env, "sts", "get-caller-identity")
    assert identity.returncode == 0, identity.stderr
    assert json.loads(identity.stdout)["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/web/{instance_id(stack)}"
    assert aws(env, "iam", "list-roles").returncode == 0
    denied = aws(env, "iam", "list-users")
    assert denied.returncode != 0 and "AccessDenied" in denied.stderr


def test_without_the_metadata_endpoint_there_are_no_credentials(stack: Stack) -> None:
    # The control: the same application, with the metadata service switched off.
    assert run_app(bare_env(stack.server, AWS_EC2_METADATA_DISABLED="true")) == {"method": None}


def http(method: str, url: str, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_imdsv2_over_http(stack: Stack) -> None:
    token_url = stack.imds_url + "latest/api/token"
    assert http("PUT", token_url, {})[0] == 400
    assert http("PUT", token_url, {"X-aws-ec2-metadata-token-ttl-seconds": "21601"})[0] == 400
    assert http("PUT", token_url, {"X-aws-ec2-metadata-token-ttl-seconds": "60", "X-Forwarded-For": "10.0.0.9"})[0] == 403
    status, token = http("PUT", token_url, {"X-aws-ec2-metadata-token-ttl-seconds": "60"})
    assert status == 200
    url = stack.imds_url + "latest/meta-data/iam/security-credentials/"
    assert http("GET", url, {"X-aws-ec2-metadata-token": token}) == (200, "web")
    assert http("GET", url, {"X-aws-ec2-metadata-token": token[:-4] + "AAAA"})[0] == 401
    assert http("GET", stack.imds_url + "latest/meta-data/nothing", {})[0] == 404


def test_v2_only_instance(stack: Stack) -> None:
    store = ["--data-dir", str(stack.data_dir), "--port", "0"]
    endpoint = start_endpoint(["imds", "--instance-profile", "web-profile", "--v2-only", *store],
                              "AWS_EC2_METADATA_SERVICE_ENDPOINT")
    try:
        url = endpoint.lines["AWS_EC2_METADATA_SERVICE_ENDPOINT"]
        assert http("GET", url + "latest/meta-data/instance-id", {})[0] == 401
        result = run_app(bare_env(stack.server, AWS_EC2_METADATA_SERVICE_ENDPOINT=url))
        assert result["method"] == "iam-role" and result["list_roles"] == "allowed"
    finally:
        endpoint.stop()


def test_the_instance_identity_document_is_signed_with_the_deployment_key(stack: Stack) -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    import base64

    _, document = http("GET", stack.imds_url + "latest/dynamic/instance-identity/document", {})
    _, signature = http("GET", stack.imds_url + "latest/dynamic/instance-identity/signature", {})
    fields = json.loads(document)
    assert fields["instanceId"] == instance_id(stack) and fields["accountId"] == ACCOUNT_ID
    key = serialization.load_pem_private_key((stack.data_dir / "imds-identity.key").read_bytes(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    key.public_key().verify(base64.b64decode(signature), document.encode(), padding.PKCS1v15(), hashes.SHA256())


def test_the_audit_trail_names_the_instance(stack: Stack) -> None:
    run_app(bare_env(stack.server, AWS_EC2_METADATA_SERVICE_ENDPOINT=stack.imds_url))
    instance = instance_id(stack)
    trail = stack.server.client("cloudtrail")

    def lookup(key: str, value: str) -> list[dict[str, Any]]:
        events = trail.lookup_events(LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}])["Events"]
        return [json.loads(event["CloudTrailEvent"]) for event in events]

    delivered = [e for e in lookup("EventName", "AssumeRole")
                 if e["requestParameters"]["roleSessionName"] == instance]
    assert delivered and delivered[0]["userIdentity"] == {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}
    assert delivered[0]["sourceIPAddress"] == "ec2.amazonaws.com"
    calls = lookup("Username", instance)
    names = {e["eventName"] for e in calls}
    assert {"GetCallerIdentity", "ListRoles", "ListUsers"} <= names
    denied = next(e for e in calls if e["eventName"] == "ListUsers")
    assert denied["errorCode"] == "AccessDenied"
    assert denied["userIdentity"]["arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/web/{instance}"
    assert denied["userIdentity"]["sessionContext"]["sessionIssuer"]["userName"] == "web"


# -- ECS container credentials -------------------------------------------------------------

def container_env(stack: Stack, **extra: str) -> dict[str, str]:
    lines = stack.container.lines
    return bare_env(
        stack.server, AWS_CONTAINER_CREDENTIALS_FULL_URI=lines["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
        AWS_CONTAINER_AUTHORIZATION_TOKEN=lines["AWS_CONTAINER_AUTHORIZATION_TOKEN"], **extra,
    )


def test_boto3_in_the_container_acts_as_the_task_role(stack: Stack) -> None:
    result = run_app(container_env(stack))
    assert result["method"] == "container-role"
    assert result["arn"].startswith(f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/task/")
    assert len(result["arn"].rsplit("/", 1)[1]) == 32  # the task id
    assert (result["list_roles"], result["list_users"]) == ("AccessDenied", "allowed")


def test_the_aws_cli_in_the_container_acts_as_the_task_role(stack: Stack) -> None:
    env = container_env(stack)
    identity = aws(env, "sts", "get-caller-identity")
    assert identity.returncode == 0, identity.stderr
    assert ":assumed-role/task/" in json.loads(identity.stdout)["Arn"]
    assert aws(env, "iam", "list-users").returncode == 0
    denied = aws(env, "iam", "list-roles")
    assert denied.returncode != 0 and "AccessDenied" in denied.stderr


def test_the_container_endpoint_wants_its_token(stack: Stack) -> None:
    url = stack.container.lines["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    assert http("GET", url, {})[0] == 401
    assert http("GET", url, {"Authorization": "guess"})[0] == 401
    status, body = http("GET", url, {"Authorization": stack.container.lines["AWS_CONTAINER_AUTHORIZATION_TOKEN"]})
    assert status == 200 and set(json.loads(body)) == {"AccessKeyId", "Expiration", "RoleArn", "SecretAccessKey", "Token"}


# -- iamd serve --imds ---------------------------------------------------------------------

def test_serve_with_an_imds_endpoint() -> None:
    server = start_server(["--ephemeral", "--imds", "0:app-profile"], {})
    try:
        line = server.wait_for_line("imds: ")
        assert line.startswith("imds: instance i-"), line
        url = line.rsplit(" on ", 1)[1].strip() + "/"
        # The profile does not exist yet: the instance has no role.
        assert http("GET", url + "latest/meta-data/iam/info", {})[0] == 404
        iam = server.client("iam")
        iam.create_role(RoleName="app", AssumeRolePolicyDocument=EC2_TRUST)
        iam.put_role_policy(RoleName="app", PolicyName="p", PolicyDocument=allow("iam:ListRoles"))
        iam.create_instance_profile(InstanceProfileName="app-profile")
        iam.add_role_to_instance_profile(InstanceProfileName="app-profile", RoleName="app")
        result = run_app(bare_env(server, AWS_EC2_METADATA_SERVICE_ENDPOINT=url))
        assert result["arn"].startswith(f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/app/i-")
        assert (result["list_roles"], result["list_users"]) == ("allowed", "AccessDenied")
    finally:
        stop_server(server)
    # Stopped by SIGTERM (uvicorn re-raises it after its graceful shutdown), not killed.
    assert server.process.returncode in (0, -15)


def test_serve_refuses_a_malformed_imds_option() -> None:
    env = dict(os.environ, IAMD_ROOT_ACCESS_KEY_ID=ROOT_KEY, IAMD_ROOT_SECRET_ACCESS_KEY=ROOT_SECRET)
    done = subprocess.run([sys.executable, "-m", "iamd.cli", "serve", "--ephemeral", "--port", "0", "--imds", "web"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "must be PORT:PROFILE" in done.stderr


def test_imds_refuses_to_start_without_the_profile(stack: Stack) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "iamd.cli", "imds", "--instance-profile", "nope", "--data-dir", str(stack.data_dir),
         "--port", "0"], capture_output=True, text=True, timeout=60,
        env=dict(os.environ, IAMD_ACCOUNT_ID=ACCOUNT_ID),
    )
    assert done.returncode == 1 and "Instance Profile nope cannot be found" in done.stderr
