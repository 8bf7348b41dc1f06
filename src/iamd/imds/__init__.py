"""The EC2 instance metadata service (IMDS) and the ECS container credentials endpoint.

``iamd imds`` serves what an EC2 instance reads from ``http://169.254.169.254`` (AWS's
"Instance metadata and user data" documentation: IMDSv1 and IMDSv2, the ``meta-data``
tree, user data, the instance identity document) for one simulated instance, and
``iamd container-credentials`` serves what an ECS task reads from
``AWS_CONTAINER_CREDENTIALS_FULL_URI``. Both hand out real role sessions of the iamd
store they run on, so an unchanged application gets role credentials through its SDK's
default credential chain. Time and randomness are passed in; nothing here reads the
environment.
"""

from iamd.imds.app import MetadataApp
from iamd.imds.container import ContainerCredentialsApp
from iamd.imds.credentials import RoleCredentials, RoleDelivery
from iamd.imds.instance import Instance, new_instance

__all__ = [
    "ContainerCredentialsApp",
    "Instance",
    "MetadataApp",
    "RoleCredentials",
    "RoleDelivery",
    "new_instance",
]
